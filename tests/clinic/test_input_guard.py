"""Input that once made a server error (issue 12, item 1) is refused as bad input, naming the field or parameter:
control characters in query strings, a NUL or a lone UTF-16 surrogate in a JSON body, a page size past any limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clinic.models import Patient
from clinic.pagination import MAX_LIMIT
from tests.conftest import World, api_as
from tests.factories import PatientFactory

NUL = "\x00"


def post_json(user: Any, url: str, body: dict[str, Any]) -> Any:
    """Post the body as JSON with every non-ASCII character escaped, as a client may: `"\\ud800"` reaches the
    server as the six characters of the escape."""
    return api_as(user).generic("POST", url, json.dumps(body), content_type="application/json")


# --- Query strings ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/patients/", "q"),
        ("/api/v1/dosing-sessions/", "status"),
        ("/api/v1/integration-appointments/", "status"),
        ("/api/v1/dosing-sessions/", "date"),
    ],
)
@pytest.mark.parametrize("bad", [NUL, "Test\x00person", "\x1b[2J", "\x7f"])
def test_the_api_refuses_control_characters_in_a_query_parameter(world: World, url: str, param: str, bad: str) -> None:
    response = api_as(world.nurse1).get(url, {param: bad})
    assert response.status_code == 400
    assert response.json() == {param: ["Remove the control characters from this parameter."]}


@pytest.mark.django_db
def test_a_parameter_name_with_control_characters_is_refused_too(world: World) -> None:
    response = api_as(world.nurse1).get("/api/v1/patients/?q%00x=1")
    assert response.status_code == 400
    assert list(response.json()) == ["qx"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/staff/", "/staff/schedule/book/"])
def test_a_page_leaves_control_characters_out_of_the_search_and_says_so(world: World, path: str) -> None:
    client = Client()
    client.force_login(world.nurse1)
    response = client.get(path, {"q": f"Test{NUL}person"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Some characters in the address could not be used and were left out." in text
    assert "Testperson" in text  # the search ran without them and found patient A
    assert NUL not in text


@pytest.mark.django_db
def test_ordinary_searches_pass_untouched(world: World) -> None:
    response = api_as(world.nurse1).get("/api/v1/patients/", {"q": "Alpha Tëstperson ü"})
    assert response.status_code == 200


# --- JSON bodies ------------------------------------------------------------------------------------------------

VALID_PATIENT = {"given_name": "Gamma", "family_name": "Testperson", "date_of_birth": "1980-01-02",
                 "sex_at_birth": "female", "email": "gamma@example.invalid"}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["\ud800", "x\udfffy", NUL])
def test_a_patient_with_a_broken_character_in_a_choice_is_refused(world: World, bad: str) -> None:
    response = post_json(world.nurse1, "/api/v1/patients/", {**VALID_PATIENT, "sex_at_birth": bad})
    assert response.status_code == 400
    assert list(response.json()) == ["sex_at_birth"]
    assert not Patient.objects.filter(given_name="Gamma").exists()


@pytest.mark.django_db
def test_an_assessment_with_a_broken_character_is_refused_naming_the_item(world: World) -> None:
    url = f"/api/v1/patients/{world.patient_a.pk}/assessments/"
    assert post_json(world.nurse1, url, {"instrument": "\ud83d", "answers": [0] * 9}).json() == {
        "instrument": ["Remove the control character or the broken character from this text."]
    }
    assert list(post_json(world.nurse1, url, {"instrument": "phq9", "answers": [0, "\x00"]}).json()) == ["answers.1"]
    assert list(post_json(world.nurse1, url, {"instrument": "phq9", "answers": {"\ud800": 1}}).json()) == ["answers"]


@pytest.mark.django_db
def test_tabs_newlines_and_any_language_pass_in_a_body(world: World) -> None:
    response = post_json(world.nurse1, "/api/v1/patients/", {**VALID_PATIENT, "given_name": "Zoë 🙂"})
    assert response.status_code == 201, response.json()
    assert response.json()["given_name"] == "Zoë 🙂"


# --- Pagination -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["200000000000000000000000", "100000", "9223372036854775808"])
def test_a_page_never_holds_more_than_the_maximum(world: World, limit: str) -> None:
    PatientFactory.create_batch(MAX_LIMIT + 1, site=world.site1)
    response = api_as(world.nurse1).get("/api/v1/patients/", {"limit": limit})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == MAX_LIMIT + 2
    assert len(body["results"]) == MAX_LIMIT
    assert f"limit={MAX_LIMIT}" in body["next"]


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"offset": "99999999999999999999999"}, {"limit": "2e23"}, {"limit": "-1"}])
def test_odd_page_parameters_answer_a_page(world: World, params: dict[str, str]) -> None:
    response = api_as(world.nurse1).get("/api/v1/patients/", params)
    assert response.status_code == 200
    assert len(response.json()["results"]) <= MAX_LIMIT
