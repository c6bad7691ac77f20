"""The care team API (issue 9, item 1): GET/POST /api/v1/patients/{id}/care-team/ and
DELETE /api/v1/patients/{id}/care-team/{user_id}/; and booking an integration appointment adds its therapist."""

from __future__ import annotations

from typing import Any

import pytest

from clinic import services
from clinic.errors import InvalidInput, NotAllowed
from clinic.models import AuditEvent, CareTeamMember, Role, Site
from tests.conftest import World, api_as
from tests.factories import SiteFactory, staff


def url(world: World, *rest: Any) -> str:
    return "/".join([f"/api/v1/patients/{world.patient_a.pk}/care-team", *map(str, rest)]) + "/"


def members(world: World) -> set[str]:
    return set(CareTeamMember.objects.filter(patient=world.patient_a).values_list("user__username", flat=True))


@pytest.mark.django_db
def test_staff_who_see_the_patient_read_the_team(world: World) -> None:
    for user in (world.nurse1, world.front_desk1, world.therapist1, world.admin1):
        response = api_as(user).get(url(world))
        assert response.status_code == 200
        assert response.json()["results"] == [
            {"user": world.therapist1.pk, "username": "therapist1", "role": "therapist"}
        ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["patient_a", "patient_b", "nurse2", "therapist_unassigned"])
def test_the_team_of_a_patient_out_of_sight_is_not_found(world: World, who: str) -> None:
    client = api_as(world.users()[who])
    assert client.get(url(world)).status_code == 404
    assert client.post(url(world), {"username": "nurse1"}, format="json").status_code == 404
    assert client.delete(url(world, world.therapist1.pk)).status_code == 404
    assert members(world) == {"therapist1"}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["prescriber1", "nurse1", "admin1"])
def test_prescribers_nurses_and_clinic_admins_of_the_site_build_the_team(world: World, who: str) -> None:
    client = api_as(world.users()[who])
    added = client.post(url(world), {"username": "therapist_unassigned"}, format="json")
    assert added.status_code == 201, added.json()
    assert added.json() == {
        "user": world.therapist_unassigned.pk,
        "username": "therapist_unassigned",
        "role": "therapist",
    }
    again = client.post(url(world), {"username": "therapist_unassigned"}, format="json")
    assert again.status_code == 200
    assert again.json() == added.json()
    assert AuditEvent.objects.filter(action="clinic.careteam.add", patient=world.patient_a).count() == 1
    removed = client.delete(url(world, world.therapist_unassigned.pk))
    assert removed.status_code == 204
    assert members(world) == {"therapist1"}
    entry = AuditEvent.objects.get(action="clinic.careteam.remove")
    assert (entry.actor, entry.details["user"]) == (world.users()[who], "therapist_unassigned")
    assert client.delete(url(world, world.therapist_unassigned.pk)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["front_desk1", "therapist1"])
def test_other_roles_may_not_change_the_team(world: World, who: str) -> None:
    client = api_as(world.users()[who])
    assert client.post(url(world), {"username": "nurse1"}, format="json").status_code == 403
    assert client.post(url(world), {"username": "therapist1"}, format="json").status_code == 403  # not even a no-op
    assert client.delete(url(world, world.therapist1.pk)).status_code == 403
    assert members(world) == {"therapist1"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "why"),
    [("nurse2", "another site"), ("patient_a", "a patient"), ("nobody", "unknown"), ("", "blank")],
)
def test_only_active_staff_of_the_patients_site_can_join(world: World, username: str, why: str) -> None:
    response = api_as(world.nurse1).post(url(world), {"username": username}, format="json")
    assert response.status_code == 400, why
    assert list(response.json()) == ["username"]
    assert members(world) == {"therapist1"}


@pytest.mark.django_db
def test_an_inactive_staff_member_cannot_join(world: World) -> None:
    world.therapist_unassigned.is_active = False
    world.therapist_unassigned.save()
    response = api_as(world.nurse1).post(url(world), {"username": "therapist_unassigned"}, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_the_service_enforces_who_changes_the_team(world: World) -> None:
    with pytest.raises(NotAllowed):
        services.add_care_team_member(by=world.front_desk1, patient=world.patient_a, member=world.nurse1)
    with pytest.raises(NotAllowed):
        services.remove_care_team_member(by=world.therapist1, patient=world.patient_a, member=world.therapist1)
    with pytest.raises(InvalidInput):
        services.add_care_team_member(by=world.nurse1, patient=world.patient_a, member=world.nurse2)
    other_site: Site = SiteFactory(code="OTHER")
    with pytest.raises(NotAllowed):  # a nurse of another site, even one who could see nothing anyway
        services.add_care_team_member(
            by=staff(Role.NURSE, other_site), patient=world.patient_a, member=world.therapist_unassigned
        )
    assert members(world) == {"therapist1"}
