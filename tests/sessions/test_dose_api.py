"""POST /api/v1/dose-calculations/ (clinical protocol §2): the rule tables through the API, numbers as JSON
numbers, null where a value does not apply, 400 naming the field, and the site's own protocol version."""

from __future__ import annotations

from typing import Any

import pytest

from clinic.models import Role
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.services import publish_protocol_version
from tests.conftest import World, api_as
from tests.factories import SiteFactory, staff

URL = "/api/v1/dose-calculations/"
MAN = {"sex_at_birth": "male"}
WOMAN = {"sex_at_birth": "female"}


def calc(user: Any, **body: Any) -> Any:
    return api_as(user).post(URL, body, format="json")


@pytest.fixture
def nurse(db: None) -> Any:
    return staff(Role.NURSE, SiteFactory(code="DOSE"), username="nurse.dose")


def test_worked_example_of_section_2(nurse: Any) -> None:
    response = calc(nurse, route="iv", weight_kg=82.4, height_cm=180, **MAN, mg_per_kg=0.5, duration_min=40)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["dose_mg"] == 41.2
    assert body["rate_mg_per_min"] == 1.03
    assert body["pump_rate_ml_per_h"] == 150.0
    assert body["weight_basis"] == "actual"
    assert body["dosing_weight_kg"] == 82.4
    assert body["bmi"] == 25.4
    assert body["duration_min"] == 40
    assert body["draw_volume_ml"] is None
    assert body["warnings"] == []
    assert body["requires_override"] is False
    assert isinstance(body["dose_mg"], float)
    assert body["steps"][-2] == "Rate 1.03 mg/min = 41.2 mg / 40 min"


@pytest.mark.parametrize(
    ("policy", "basis", "dosing_weight", "dose"),
    [
        # 130 kg, 175 cm male: BMI 42.4; IBW 50 + 2.3 x 8.90 in = 70.5 kg; adjusted 70.5 + 0.4 x 59.5 = 94.3 kg.
        ("adjusted", "adjusted", 94.3, 47.2),
        ("ideal", "ideal", 70.5, 35.3),
    ],
)
def test_obese_patient_under_both_weight_policies(
    nurse: Any, policy: str, basis: str, dosing_weight: float, dose: float
) -> None:
    settings = DEFAULT_PROTOCOL.to_json()
    settings["dosing"]["obese_weight_policy"] = policy
    publish_protocol_version(by=None, site=nurse.sites.get(), settings=settings, change_summary=f"{policy} weight")
    body = calc(nurse, route="iv", weight_kg=130, height_cm=175, **MAN).json()
    assert body["bmi"] == 42.4
    assert body["weight_basis"] == basis
    assert body["dosing_weight_kg"] == dosing_weight
    assert body["ideal_body_weight_kg"] == 70.5
    assert body["adjusted_body_weight_kg"] == 94.3
    assert body["dose_mg"] == dose


def test_obese_short_woman_is_never_dosed_above_her_actual_weight(nurse: Any) -> None:
    body = calc(nurse, route="iv", weight_kg=40, height_cm=120, **WOMAN).json()  # BMI 27.8: actual
    assert body["weight_basis"] == "actual"
    body = calc(nurse, route="im", weight_kg=44, height_cm=120, **WOMAN).json()  # BMI 30.6; IBW 45.5 > 44
    assert body["weight_basis"] == "actual"
    assert body["dosing_weight_kg"] == 44.0
    assert body["rate_mg_per_min"] is None
    assert body["pump_rate_ml_per_h"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weight_kg": 29.9}, "weight_kg"),
        ({"weight_kg": 250.1}, "weight_kg"),
        ({"height_cm": 119.9}, "height_cm"),
        ({"height_cm": 230.1}, "height_cm"),
        ({"mg_per_kg": 0.09}, "mg_per_kg"),
        ({"mg_per_kg": 1.01}, "mg_per_kg"),
        ({"duration_min": 19}, "duration_min"),
        ({"duration_min": 121}, "duration_min"),
        ({"route": "oral"}, "route"),
        ({"sex_at_birth": "x"}, "sex_at_birth"),
        ({"dose_mg": 50}, "dose_mg"),  # an mg/kg route takes mg_per_kg
        ({"weight_kg": "heavy"}, "weight_kg"),
        ({"bag_volume_ml": 0}, "bag_volume_ml"),
        ({"weight_kg": None}, "weight_kg"),
    ],
)
def test_inputs_outside_the_limits_answer_400_naming_the_field(nurse: Any, body: dict[str, Any], field: str) -> None:
    request = {"route": "iv", "weight_kg": 70, "height_cm": 170, **MAN, **body}
    response = calc(nurse, **request)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("body", "dose"),
    [
        ({"weight_kg": 30}, 15.0),  # weight limits are inclusive
        ({"weight_kg": 250, "height_cm": 230}, 86.1),  # BMI 47.3: IBW 120.3, adjusted 172.2 kg
        ({"height_cm": 120, "weight_kg": 40}, 20.0),
        ({"mg_per_kg": 0.1}, 7.0),
        ({"mg_per_kg": 1.0}, 70.0),
        ({"duration_min": 20}, 35.0),
        ({"duration_min": 120}, 35.0),
    ],
)
def test_limit_edges_are_accepted(nurse: Any, body: dict[str, Any], dose: float) -> None:
    response = calc(nurse, **{"route": "iv", "weight_kg": 70, "height_cm": 170, **MAN, **body})
    assert response.status_code == 200, response.json()
    assert response.json()["dose_mg"] == dose


@pytest.mark.parametrize(
    ("mg_per_kg", "weight", "warning", "override"),
    [
        (0.75, 70, False, False),
        (0.76, 70, True, False),
        (1.0, 100, True, False),  # exactly 100 mg: no override
        (1.0, 100.1, True, True),  # 100.1 mg
    ],
)
def test_warning_above_075_mg_per_kg_and_override_above_100_mg(
    nurse: Any, mg_per_kg: float, weight: float, warning: bool, override: bool
) -> None:
    body = calc(nurse, route="iv", weight_kg=weight, height_cm=190, **MAN, mg_per_kg=mg_per_kg).json()
    assert bool(body["warnings"]) is warning
    assert body["requires_override"] is override
    assert bool(body["override_reasons"]) is override


def test_fixed_dose_routes_have_null_weights(nurse: Any) -> None:
    body = calc(nurse, route="sublingual", weight_kg=70, height_cm=170, **WOMAN).json()
    assert body["dose_mg"] == 100.0
    assert body["duration_min"] == 15
    assert body["dosing_weight_kg"] is None
    assert body["weight_basis"] is None
    assert body["mg_per_kg"] is None
    body = calc(nurse, route="esketamine", weight_kg=70, height_cm=170, **WOMAN, age=70, first_dose=True).json()
    assert body["dose_mg"] == 28.0
    response = calc(nurse, route="esketamine", weight_kg=70, height_cm=170, **WOMAN, dose_mg=70)
    assert response.status_code == 400
    assert "dose_mg" in response.json()


def test_draw_volume_only_with_a_concentration(nurse: Any) -> None:
    body = calc(nurse, route="im", weight_kg=70, height_cm=170, **MAN, concentration_mg_per_ml=50).json()
    assert body["dose_mg"] == 35.0
    assert body["draw_volume_ml"] == 0.7


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("nurse1", 200),
        ("prescriber1", 200),
        ("admin1", 200),
        ("therapist1", 200),
        ("front_desk1", 403),
        ("patient_a", 403),
    ],
)
def test_only_clinical_staff_calculate_doses(world: World, who: str, status: int) -> None:
    response = calc(world.users()[who], route="iv", weight_kg=70, height_cm=170, **MAN)
    assert response.status_code == status


@pytest.mark.django_db
def test_anonymous_is_refused(api: Any) -> None:
    assert api.post(URL, {}, format="json").status_code in (401, 403)
