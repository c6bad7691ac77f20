"""Reads never write: pages, previews and API reads take the site's protocol without stamping its active version as
used, and a site without a version reads the default protocol without getting a row. Decisions stamp it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from clinic.models import ProtocolVersion
from clinic.protocol import DEFAULT_PROTOCOL
from clinic.services import current_protocol, publish_protocol_version
from tests.conftest import World, api_as
from tests.sessions.conftest import Clinic, book, ny, signed_in


def _unused_version(clinic: Clinic) -> ProtocolVersion:
    """A new active version that no decision has used yet."""
    settings = DEFAULT_PROTOCOL.to_json()
    return publish_protocol_version(by=None, site=clinic.site, settings=settings, change_summary="Nothing used it.")


def test_staff_pages_and_api_reads_leave_the_active_version_unused(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 4, 9))
    version = _unused_version(clinic)
    patient = clinic.patient.pk
    nurse = signed_in(clinic.nurse)
    pages = [
        reverse("staff:sessions:session", args=[session.pk]),
        reverse("staff:sessions:monitor", args=[session.pk]),
        reverse("staff:sessions:board") + "?date=2026-05-04",
        reverse("staff:sessions:book") + f"?patient={patient}&date=2026-05-06",
        reverse("staff:sessions:book_course") + f"?patient={patient}",
        reverse("staff:sessions:book_integration", args=[patient]),
        reverse("staff:sessions:rems_due"),
        reverse("staff:intake", args=[patient]),
        reverse("staff:patient_detail", args=[patient]),
    ]
    for page in pages:
        assert nurse.get(page).status_code == 200, page
    preview = nurse.post(reverse("staff:sessions:dose_preview", args=[session.pk]), {"mg_per_kg": "0.5"})
    assert preview.status_code == 200
    api = api_as(clinic.nurse)
    assert api.get(f"/api/v1/patients/{patient}/dosing-clearance/").status_code == 200
    assert api.get(f"/api/v1/dosing-sessions/{session.pk}/").status_code == 200
    version.refresh_from_db()
    assert version.first_used_at is None


def test_a_decision_stamps_the_active_version(clinic: Clinic) -> None:
    version = _unused_version(clinic)
    session = book(clinic, ny(2026, 5, 4, 9))
    version.refresh_from_db()
    assert session.protocol_version == version
    assert version.first_used_at is not None


@pytest.mark.django_db
def test_a_site_without_a_version_reads_the_default_protocol_and_gets_no_row(world: World) -> None:
    assert current_protocol(world.site1) == DEFAULT_PROTOCOL
    nurse = Client()
    nurse.force_login(world.nurse1)
    assert nurse.get(reverse("staff:intake", args=[world.patient_a.pk])).status_code == 200
    portal = Client()
    portal.force_login(world.patient_a_user)
    assert portal.get("/portal/").status_code == 200
    assert not ProtocolVersion.objects.filter(site=world.site1).exists()
