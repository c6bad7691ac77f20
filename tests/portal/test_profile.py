"""My profile in the portal: contact details and emergency contact, password, two-step sign-in (optional) and signing
out of other devices."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from clinic.models import AuditEvent
from tests.factories import TEST_PASSWORD, patient_user
from tests.sessions.conftest import Clinic, signed_in

pytestmark = pytest.mark.django_db

DETAILS = {
    "email": "sam.new@example.invalid",
    "phone": "555-0177",
    "emergency_contact_name": "Robin Testperson",
    "emergency_contact_phone": "555-0178",
    "emergency_contact_relationship": "sister",
}


def test_the_patient_keeps_their_contact_details_and_emergency_contact(clinic: Clinic) -> None:
    user = patient_user(clinic.patient)
    client = signed_in(user)
    page = client.get("/portal/profile/").content.decode()
    assert f'value="{clinic.patient.email}"' in page
    assert "Sign me out on all other devices" in page
    assert 'name="action" value="end_others"' in page
    assert "Two-step sign-in is <strong>off</strong>" in page
    answer = client.post("/portal/profile/", DETAILS)
    assert answer.status_code == 302
    clinic.patient.refresh_from_db()
    assert clinic.patient.emergency_contact_name == "Robin Testperson"
    assert clinic.patient.email == "sam.new@example.invalid"
    event = AuditEvent.objects.filter(action="clinic.patient.update", patient=clinic.patient).latest("occurred_at")
    assert event.details["via"] == "portal"
    assert "emergency_contact_name" in event.details["changes"]
    user.refresh_from_db()
    assert user.username != "sam.new@example.invalid"  # the sign-in name stays


def test_a_bad_email_comes_back_beside_the_field_with_what_was_typed(clinic: Clinic) -> None:
    client = signed_in(patient_user(clinic.patient))
    answer = client.post("/portal/profile/", {**DETAILS, "email": "not-an-email"})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'id="id_email_error"' in html
    assert 'value="Robin Testperson"' in html


def test_the_patient_changes_their_password_and_stays_signed_in(clinic: Clinic) -> None:
    user = patient_user(clinic.patient)
    client = signed_in(user)
    wrong = client.post(
        "/portal/profile/password/",
        {
            "old_password": "nope",
            "new_password1": "tidal-meadow-lantern-93",
            "new_password2": "tidal-meadow-lantern-93",
        },
    )
    assert wrong.status_code == 400
    right = client.post(
        "/portal/profile/password/",
        {"old_password": TEST_PASSWORD, "new_password1": "tidal-meadow-lantern-93",
         "new_password2": "tidal-meadow-lantern-93"},
    )  # fmt: skip
    assert right.status_code == 302
    user.refresh_from_db()
    assert user.check_password("tidal-meadow-lantern-93")
    assert client.get("/portal/").status_code == 200
    assert AuditEvent.objects.filter(action="clinic.user.password_change", actor=user).exists()


def test_the_reminder_preferences_link_appears_once_that_page_exists(clinic: Clinic) -> None:
    html = signed_in(patient_user(clinic.patient)).get("/portal/profile/").content.decode()
    try:
        url = reverse("portal:reminder_preferences")
    except NoReverseMatch:
        assert "To change how we remind you" in html
    else:
        assert f'href="{url}"' in html
