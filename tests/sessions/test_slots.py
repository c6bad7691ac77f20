"""Free-slot suggestions honour the patient's spacing rules (clinical protocol §3): no suggested start is
within 48 h of another dosing session of the patient or makes a third in a rolling 7 days (a course template's own
limit when booking for that course), with the site's wall clock and the protocol's numbers; every start offered can
be booked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clinic.protocol import DEFAULT_PROTOCOL, Route
from clinic.services import active_protocol_version, publish_protocol_version, use_protocol
from sessions import queries, services
from sessions.models import DosingSession, TreatmentCourse
from tests.sessions.conftest import NEW_YORK, Clinic, book, ny, signed_in


def suggested(clinic: Clinic, day: dt.date, patient: Any = None, **kwargs: Any) -> dict[str, list[str]]:
    """The suggested local start times per chair name."""
    _version, protocol = use_protocol(clinic.site)
    slots = queries.free_slots(clinic.front_desk, patient or clinic.patient, day, Route.IV, protocol, **kwargs)
    return {chair.name: [f"{s.astimezone(NEW_YORK):%H:%M}" for s in starts] for chair, starts in slots}


def test_starts_within_48_hours_of_another_session_are_not_offered(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    wednesday = suggested(clinic, dt.date(2026, 5, 6))
    for starts in wednesday.values():
        assert starts[0] == "09:00"  # 48 h after Monday 09:00; 08:00-08:45 would be too soon
        assert "08:45" not in starts


def test_starts_within_48_hours_before_a_later_session_are_not_offered(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 8, 9))  # Friday 09:00 leaves Wednesday up to 09:00
    assert suggested(clinic, dt.date(2026, 5, 6))["Chair 1"] == ["08:00", "08:15", "08:30", "08:45", "09:00"]


def test_a_day_inside_the_interval_offers_nothing(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 5, 12))
    assert suggested(clinic, dt.date(2026, 5, 6)) == {"Chair 1": [], "Chair 2": []}
    other = suggested(clinic, dt.date(2026, 5, 6), patient=clinic.cleared_patient())
    assert other["Chair 1"][0] == "08:00"  # another patient's sessions do not count


def test_a_third_session_in_a_rolling_week_is_not_offered(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    book(clinic, ny(2026, 5, 6, 10))
    assert suggested(clinic, dt.date(2026, 5, 8)) == {"Chair 1": [], "Chair 2": []}
    monday = suggested(clinic, dt.date(2026, 5, 11))  # the window from Mon 4 May 09:00 ends Mon 11 May 09:00
    assert monday["Chair 1"][0] == "09:00"
    assert "08:45" not in monday["Chair 1"]


def test_starts_while_the_patient_is_in_an_integration_session_are_not_offered(clinic: Clinic) -> None:
    services.book_integration_appointment(by=clinic.front_desk, patient=clinic.patient, therapist=clinic.therapist,
                                          start=ny(2026, 5, 6, 10), duration_min=60, room="Blue")  # fmt: skip
    starts = suggested(clinic, dt.date(2026, 5, 6))["Chair 1"]
    assert starts[:3] == ["08:00", "08:15", "08:30"]  # an 85-min block from 08:30 ends 09:55
    assert "08:45" not in starts
    assert "10:45" not in starts
    assert "11:00" in starts  # the integration session ends at 11:00


def test_cancelled_sessions_do_not_count(clinic: Clinic) -> None:
    session = book(clinic, ny(2026, 5, 5, 12))
    services.cancel_session(by=clinic.front_desk, session=session)
    assert suggested(clinic, dt.date(2026, 5, 6))["Chair 1"][0] == "08:00"


def course(clinic: Clinic, template: str) -> TreatmentCourse:
    """A course of the patient's to book for (its sessions do not matter here)."""
    version, _protocol = use_protocol(clinic.site)
    return TreatmentCourse.objects.create(
        patient=clinic.patient, template=template, route="iv", start_date=dt.date(2026, 5, 4), protocol_version=version
    )


def test_a_course_templates_own_weekly_limit(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    book(clinic, ny(2026, 5, 6, 10))
    friday = suggested(clinic, dt.date(2026, 5, 8), course=course(clinic, "intensive_retreat"))
    assert friday["Chair 1"][0] == "10:00"  # a third within 7 days is allowed (3); the 48 h still apply
    assert suggested(clinic, dt.date(2026, 5, 8), course=course(clinic, "maintenance"))["Chair 1"] == []


def test_the_protocols_numbers_decide(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    active_protocol_version(clinic.site)
    settings = DEFAULT_PROTOCOL.to_json()
    settings["scheduling"].update(min_interval_hours=24, max_sessions_rolling_7_days=1)
    publish_protocol_version(by=None, site=clinic.site, settings=settings, change_summary="24 h, one a week")
    assert suggested(clinic, dt.date(2026, 5, 6)) == {"Chair 1": [], "Chair 2": []}  # one a week
    settings["scheduling"].update(max_sessions_rolling_7_days=2)
    publish_protocol_version(by=None, site=clinic.site, settings=settings, change_summary="24 h, two a week")
    assert suggested(clinic, dt.date(2026, 5, 5))["Chair 1"][0] == "09:00"  # 24 h after Monday 09:00


def test_the_rolling_week_is_on_the_sites_wall_clock(clinic: Clinic) -> None:
    """Across the autumn change (1 Nov 2026) Monday 09:00 EST is 169 h after Monday 09:00 EDT: the window is
    measured in local days, so Monday 09:00 is the first start offered, not 08:00."""
    book(clinic, ny(2026, 10, 26, 9))
    book(clinic, ny(2026, 10, 29, 9))
    monday = suggested(clinic, dt.date(2026, 11, 2))
    assert monday["Chair 1"][0] == "09:00"


def test_every_start_offered_can_be_booked(clinic: Clinic) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    book(clinic, ny(2026, 5, 6, 14), patient=clinic.cleared_patient(), chair=clinic.chair2)
    _version, protocol = use_protocol(clinic.site)
    day = dt.date(2026, 5, 6)
    for chair, starts in queries.free_slots(clinic.front_desk, clinic.patient, day, Route.IV, protocol):
        for start in starts:
            session = book(clinic, start, chair=chair)
            services.cancel_session(by=clinic.front_desk, session=session)
    assert DosingSession.objects.filter(patient=clinic.patient, status="cancelled").count() > 20


@pytest.mark.parametrize("time", ["08:00", "08:45"])
def test_the_booking_page_offers_only_bookable_times(clinic: Clinic, time: str) -> None:
    book(clinic, ny(2026, 5, 4, 9))
    text = (
        signed_in(clinic.front_desk)
        .get("/staff/schedule/book/", {"patient": clinic.patient.pk, "date": "2026-05-06", "route": "iv"})
        .content.decode()
    )
    chair1 = text.split("<h3>Chair 1</h3>")[1].split("<h3>Chair 2</h3>")[0]
    assert f">{time}<" not in chair1
    assert ">9:00 AM<" in chair1
