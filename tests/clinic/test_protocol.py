from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from pydantic import ValidationError as PydanticValidationError

from clinic import services
from clinic.errors import InvalidInput
from clinic.models import ProtocolVersion
from clinic.protocol import DEFAULT_PROTOCOL, Protocol, Route
from tests.conftest import World


def test_defaults_are_the_clinical_rules() -> None:
    p = Protocol()
    iv = p.dosing.routes[Route.IV]
    assert iv.default_mg_per_kg == Decimal("0.5")
    assert iv.default_duration_min == 40
    assert p.monitoring.gate_defer.systolic_above == 180
    assert p.scheduling.min_interval_hours == 48
    assert p.screening.validity_days == 180
    assert [b.name for b in p.instruments.phq9.bands] == [
        "minimal",
        "mild",
        "moderate",
        "moderately_severe",
        "severe",
    ]


def test_json_round_trip_is_lossless() -> None:
    assert Protocol.model_validate(DEFAULT_PROTOCOL.to_json()) == DEFAULT_PROTOCOL


@pytest.mark.parametrize(
    "change",
    [
        {"instruments": {"gad7": {"items": 7, "item_max": 3, "bands": [{"name": "x", "low": 1, "high": 21}]}}},
        {"dosing": {"routes": {"iv": {"basis": "mg_per_kg"}}}},
        {"screening": {"validity_days": -1}},
        {"surprise": 1},
    ],
)
def test_invalid_settings_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(PydanticValidationError):
        Protocol.model_validate(change)


@pytest.mark.django_db
def test_a_site_gets_the_default_protocol_as_version_1(world: World) -> None:
    version = services.active_protocol_version(world.site1)
    assert version.number == 1
    assert version.protocol() == DEFAULT_PROTOCOL
    assert services.active_protocol_version(world.site1).pk == version.pk


@pytest.mark.django_db
def test_using_a_version_locks_it(world: World) -> None:
    version = services.active_protocol_version(world.site1)
    assert not version.is_locked
    used, protocol = services.use_protocol(world.site1)
    assert used.pk == version.pk
    assert used.is_locked
    assert protocol == DEFAULT_PROTOCOL


@pytest.mark.django_db
def test_only_one_active_version_per_site(world: World) -> None:
    services.active_protocol_version(world.site1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProtocolVersion.objects.create(site=world.site1, number=9, is_active=True)


@pytest.mark.django_db
def test_publish_validates_and_names_the_setting(world: World) -> None:
    bad = DEFAULT_PROTOCOL.to_json()
    bad["scheduling"]["min_interval_hours"] = "two days"
    with pytest.raises(InvalidInput) as info:
        services.publish_protocol_version(by=world.admin1, site=world.site1, settings=bad, change_summary="x")
    assert "settings.scheduling.min_interval_hours" in info.value.errors


@pytest.mark.django_db
def test_publish_needs_a_summary(world: World) -> None:
    with pytest.raises(InvalidInput) as info:
        services.publish_protocol_version(
            by=world.admin1, site=world.site1, settings=DEFAULT_PROTOCOL.to_json(), change_summary=" "
        )
    assert "change_summary" in info.value.errors


@pytest.mark.django_db
def test_model_validation_of_settings(world: World) -> None:
    version = ProtocolVersion(site=world.site1, number=5, settings={"dosing": {"weight_min_kg": "x"}})
    with pytest.raises(ValidationError, match=r"dosing\.weight_min_kg"):
        version.full_clean()
