"""Break-glass: a prescriber opens a patient outside their sites with a reason; the access goes through
clinic.scoping, lasts the protocol's time, flags every audit entry made under it, and notifies the clinic
administrators of the patient's site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import AuditEvent, Notification, Role
from clinic.scoping import get_patient_for, patients_visible_to
from clinic.security import breakglass
from clinic.security.models import BreakGlassGrant
from tests.conftest import World, api_as
from tests.factories import staff

REASON = "Covering the South site tonight; patient arrived in crisis and needs a dose decision."


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def south_admin(world: World):
    return staff(Role.CLINIC_ADMIN, world.site2, username="admin2")


@pytest.mark.django_db
def test_a_prescriber_opens_a_patient_of_another_site_with_a_reason(world: World, south_admin) -> None:
    client = _client(world.prescriber1)
    url = f"/staff/patients/{world.patient_b.pk}/"
    assert client.get(url).status_code == 404
    not_found = client.get(url).content.decode()
    assert "Request emergency access" in not_found
    response = client.post("/staff/break-glass/", {"mrn": world.patient_b.mrn, "reason": REASON})
    assert response.status_code == 302
    assert response["Location"] == url
    assert client.get(url).status_code == 200
    assert api_as(world.prescriber1).get(f"/api/v1/patients/{world.patient_b.pk}/").status_code == 200

    opened = AuditEvent.objects.get(action="clinic.breakglass.open")
    assert opened.patient_id == world.patient_b.pk
    assert opened.actor == world.prescriber1
    assert opened.details["reason"] == REASON
    reads = AuditEvent.objects.filter(action="clinic.patient.view", patient=world.patient_b)
    assert reads.count() == 2
    grant = BreakGlassGrant.objects.get()
    assert all(event.details["break_glass"] == grant.pk for event in reads)

    note = Notification.objects.get(recipient=south_admin)
    assert "Emergency access" in note.title
    assert REASON in note.body
    assert not Notification.objects.filter(recipient=world.admin1).exists()  # another site's administrator


@pytest.mark.django_db
def test_reads_of_the_prescribers_own_patients_are_not_flagged(world: World) -> None:
    breakglass.open_grant(by=world.prescriber1, patient=world.patient_b, reason=REASON)
    _client(world.prescriber1).get(f"/staff/patients/{world.patient_a.pk}/")
    event = AuditEvent.objects.get(action="clinic.patient.view", patient=world.patient_a)
    assert "break_glass" not in event.details


@pytest.mark.django_db
def test_a_short_reason_is_refused_with_everything_typed_kept(world: World) -> None:
    response = _client(world.prescriber1).post("/staff/break-glass/", {"mrn": world.patient_b.mrn, "reason": "urgent"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write at least 20 characters" in page
    assert world.patient_b.mrn in page
    assert "urgent" in page
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.django_db
def test_an_unknown_number_and_an_own_patient_are_explained(world: World) -> None:
    client = _client(world.prescriber1)
    unknown = client.post("/staff/break-glass/", {"mrn": "NOPE-1", "reason": REASON})
    assert "No patient has this medical record number" in unknown.content.decode()
    own = client.post("/staff/break-glass/", {"mrn": world.patient_a.mrn, "reason": REASON})
    assert "already on your list" in own.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["nurse1", "therapist1", "front_desk1", "admin1", "patient_a"])
def test_only_prescribers_may_break_the_glass(world: World, who: str) -> None:
    client = _client(world.users()[who])
    assert client.get("/staff/break-glass/").status_code == 404
    client.post("/staff/break-glass/", {"mrn": world.patient_b.mrn, "reason": REASON})
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.django_db
def test_the_access_ends_after_the_protocols_time(world: World) -> None:
    grant = breakglass.open_grant(by=world.prescriber1, patient=world.patient_b, reason=REASON)
    assert grant.expires_at - grant.opened_at == timedelta(minutes=60)
    assert get_patient_for(world.prescriber1, world.patient_b.pk).pk == world.patient_b.pk
    BreakGlassGrant.objects.update(
        opened_at=timezone.now() - timedelta(minutes=61), expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert not patients_visible_to(world.prescriber1).filter(pk=world.patient_b.pk).exists()
    assert _client(world.prescriber1).get(f"/staff/patients/{world.patient_b.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_grant_is_for_its_prescriber_only(world: World) -> None:
    breakglass.open_grant(by=world.prescriber1, patient=world.patient_b, reason=REASON)
    other = staff(Role.PRESCRIBER, world.site1, username="prescriber_other")
    assert not patients_visible_to(other).filter(pk=world.patient_b.pk).exists()


@pytest.mark.django_db
def test_the_admin_sees_active_grants_and_can_end_one(world: World, south_admin) -> None:
    grant = breakglass.open_grant(by=world.prescriber1, patient=world.patient_b, reason=REASON)
    admin = _client(south_admin)
    listing = admin.get("/admin/security/breakglassgrant/")
    assert listing.status_code == 200
    assert world.patient_b.family_name in listing.content.decode()
    assert (
        world.patient_b.family_name
        not in _client(world.admin1).get("/admin/security/breakglassgrant/").content.decode()
    )
    admin.post("/admin/security/breakglassgrant/", {"action": "end_now", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.ended_by == south_admin
    assert not patients_visible_to(world.prescriber1).filter(pk=world.patient_b.pk).exists()
    assert AuditEvent.objects.filter(action="clinic.breakglass.end", actor=south_admin).exists()
