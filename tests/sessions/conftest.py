"""Fixtures of the sessions tests: a frozen clock, a small clinic, patients cleared through the intake services, and
helpers that walk a session through its life with the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import Chair, Patient, Role, Site, User
from sessions import services
from sessions.models import DosingSession, SessionStatus
from tests.factories import ChairFactory, PatientFactory, SiteFactory, staff
from tests.intake.factories import clear_for_dosing

NEW_YORK = ZoneInfo("America/New_York")
# Monday 4 May 2026, 08:00 in New York (EDT): "now" in most tests.
NOW = dt.datetime(2026, 5, 4, 8, 0, tzinfo=NEW_YORK)
PROCEED = {"systolic": 124, "diastolic": 78, "heart_rate": 72, "spo2": 98}


class Clock:
    """A settable `django.utils.timezone.now` (every service, rule call and audit entry reads it)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, value: dt.datetime) -> None:
        self.now = value

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    frozen = Clock(NOW)
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


def ny(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


@dataclass
class Clinic:
    site: Site
    chair: Chair
    chair2: Chair
    nurse: User
    prescriber: User
    front_desk: User
    therapist: User
    patient: Patient

    def cleared_patient(self, **fields: Any) -> Patient:
        return cleared(self.site, nurse=self.nurse, prescriber=self.prescriber, **fields)


def cleared(site: Site, *, nurse: User | None = None, prescriber: User | None = None, **fields: Any) -> Patient:
    """A patient whom intake has cleared for dosing: screening, consent and medical clearance, via its services."""
    patient = PatientFactory(site=site, **fields)
    clear_for_dosing(patient, nurse=nurse, prescriber=prescriber)
    patient.refresh_from_db()
    return patient


def make_clinic(code: str = "SESS") -> Clinic:
    """A site in New York with two chairs, one user per role and a cleared patient (cleared at the clock's now)."""
    site = SiteFactory(name=f"{code} Test Site", code=code, time_zone="America/New_York")
    nurse = staff(Role.NURSE, site, username=f"nurse.{code}", first_name="Nia", last_name="Nurse")
    prescriber = staff(Role.PRESCRIBER, site, username=f"prescriber.{code}", first_name="Pat", last_name="Prescriber")
    return Clinic(
        site=site,
        chair=ChairFactory(site=site, name="Chair 1"),
        chair2=ChairFactory(site=site, name="Chair 2"),
        nurse=nurse,
        prescriber=prescriber,
        front_desk=staff(Role.FRONT_DESK, site, username=f"desk.{code}"),
        therapist=staff(Role.THERAPIST, site, username=f"therapist.{code}", first_name="Theo", last_name="Therapist"),
        patient=cleared(site, nurse=nurse, prescriber=prescriber, given_name="Sam"),
    )


@pytest.fixture
def clinic(db: None, clock: Clock) -> Clinic:
    return make_clinic()


def book(clinic: Clinic, start: dt.datetime | None = None, **kwargs: Any) -> DosingSession:
    kwargs.setdefault("patient", clinic.patient)
    kwargs.setdefault("chair", clinic.chair)
    kwargs.setdefault("route", "iv")
    return services.book_dosing_session(by=clinic.front_desk, start=start or ny(2026, 5, 4, 9), **kwargs).session


def advance_to(clinic: Clinic, session: DosingSession, status: str, clock: Clock | None = None) -> DosingSession:
    """Walk `session` through its life with the services up to `status` (the clock moves past the observation)."""
    order = [SessionStatus.CHECKED_IN, SessionStatus.DOSING, SessionStatus.MONITORING, SessionStatus.DISCHARGED]
    for step in order[: order.index(status) + 1]:
        session.refresh_from_db()
        if session.status in order[order.index(step) :]:
            continue
        if step == SessionStatus.CHECKED_IN:
            services.check_in(
                by=clinic.nurse,
                session=session,
                fasting_solids_hours=Decimal("8"),
                fasting_clear_liquids_hours=Decimal("3"),
                escort_confirmed=True,
            )
            services.record_vitals(by=clinic.nurse, session=session, **PROCEED)
        elif step == SessionStatus.DOSING:
            services.start_dosing(by=clinic.nurse, session=session, lot_number="LOT-1")
        elif step == SessionStatus.MONITORING:
            if clock is not None:
                clock.advance(minutes=40)
            services.end_dosing(by=clinic.nurse, session=session)
        else:
            if clock is not None:
                clock.advance(minutes=31)
            services.discharge_session(by=clinic.nurse, session=session, aldrete=[2, 2, 2, 2, 2], escort_confirmed=True)
    session.refresh_from_db()
    return session


def signed_in(user: Any) -> Client:
    """A test client signed in as `user`."""
    client = Client()
    client.force_login(user)
    return client


def session_page(session: DosingSession) -> str:
    return f"/staff/schedule/sessions/{session.pk}/"
