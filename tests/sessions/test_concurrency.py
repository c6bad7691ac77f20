"""No double booking under concurrency, on real PostgreSQL connections in threads (clinical protocol §3).

Twenty front-desk requests for the same chair slot race: the exclusion constraint lets exactly one win and the
service turns every other into `chair_conflict`. The same patient booked into several chairs at once: the lock on
the patient lets exactly one through (`patient_conflict` for the rest). And the constraint holds without the
service: a raw insert of an overlapping session is refused by the database.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from clinic.errors import Conflict
from clinic.models import Chair, Patient, Role
from sessions import services
from sessions.models import DosingSession
from tests.factories import ChairFactory, SiteFactory, staff
from tests.sessions.conftest import cleared

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 20


def _race(jobs: list[Callable[[], object]]) -> list[str]:
    """Run the jobs at the same moment, each in its own thread with its own connection; 'ok' or the 409 code."""
    barrier = threading.Barrier(len(jobs))
    results: list[str] = []
    lock = threading.Lock()

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            job()
            outcome = "ok"
        except Conflict as exc:
            outcome = exc.code
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _slot() -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def test_twenty_bookings_of_one_chair_slot_exactly_one_wins(require_postgres: None) -> None:
    site = SiteFactory(code="RACE")
    chair = ChairFactory(site=site)
    desk = staff(Role.FRONT_DESK, site)
    nurse, prescriber = staff(Role.NURSE, site), staff(Role.PRESCRIBER, site)
    patients = [cleared(site, nurse=nurse, prescriber=prescriber) for _ in range(THREADS)]
    start = _slot()

    def booking(patient: Patient) -> Callable[[], object]:
        return lambda: services.book_dosing_session(by=desk, patient=patient, chair=chair, start=start, route="iv")

    results = _race([booking(p) for p in patients])
    assert sorted(results) == ["chair_conflict"] * (THREADS - 1) + ["ok"], results
    assert DosingSession.objects.filter(chair=chair).count() == 1


def test_one_patient_booked_into_many_chairs_at_once_gets_one(require_postgres: None) -> None:
    site = SiteFactory(code="RACE2")
    chairs = [ChairFactory(site=site) for _ in range(8)]
    desk = staff(Role.FRONT_DESK, site)
    patient = cleared(site)
    start = _slot()

    def booking(chair: Chair, minutes: int) -> Callable[[], object]:
        at = start + dt.timedelta(minutes=minutes)
        return lambda: services.book_dosing_session(by=desk, patient=patient, chair=chair, start=at, route="iv")

    # Overlapping starts (patient_conflict) and starts a day apart (interval_too_short) all race.
    results = _race([booking(c, 10 * i) for i, c in enumerate(chairs[:4])] + [booking(c, 60 * 24) for c in chairs[4:]])
    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} <= {"patient_conflict", "interval_too_short"}
    assert DosingSession.objects.filter(patient=patient).count() == 1


def test_the_database_refuses_an_overlapping_session_without_the_service(require_postgres: None) -> None:
    site = SiteFactory(code="RAW")
    chair = ChairFactory(site=site)
    first = services.book_dosing_session(by=None, patient=cleared(site), chair=chair, start=_slot(), route="iv").session
    second = cleared(site)
    with pytest.raises(IntegrityError, match="dosing_session_chair_no_overlap"), transaction.atomic():
        DosingSession.objects.create(
            patient=second,
            chair=chair,
            route="iv",
            start=first.start + dt.timedelta(minutes=30),
            block_end=first.block_end + dt.timedelta(minutes=30),
            protocol_version=first.protocol_version,
        )
    # A cancelled session holds nothing.
    DosingSession.objects.filter(pk=first.pk).update(status="cancelled")
    DosingSession.objects.create(
        patient=second,
        chair=chair,
        route="iv",
        start=first.start,
        block_end=first.block_end,
        protocol_version=first.protocol_version,
    )


def test_integration_sessions_of_different_patients_racing_for_one_chair_get_one(require_postgres: None) -> None:
    """Different patients and therapists: no patient lock is shared, so only the database can keep them apart."""
    site = SiteFactory(code="IRACE")
    chair = ChairFactory(site=site)
    pairs = [(cleared(site), staff(Role.THERAPIST, site)) for _ in range(8)]
    start = _slot()
    jobs = [
        (lambda p=p, t=t: services.book_integration_appointment(
            by=None, patient=p, therapist=t, start=start, duration_min=60, chair=chair))
        for p, t in pairs
    ]  # fmt: skip
    results = _race(jobs)
    assert sorted(results) == ["chair_conflict"] * 7 + ["ok"]


def test_the_database_refuses_an_integration_session_in_a_busy_chair(require_postgres: None) -> None:
    from sessions.models import IntegrationAppointment

    site = SiteFactory(code="IRAW")
    chair = ChairFactory(site=site)
    first = services.book_integration_appointment(
        by=None, patient=cleared(site), therapist=staff(Role.THERAPIST, site), start=_slot(), duration_min=60,
        chair=chair,
    ).appointment  # fmt: skip
    with pytest.raises(IntegrityError, match="integration_appointment_chair_no_overlap"), transaction.atomic():
        IntegrationAppointment.objects.create(
            patient=cleared(site),
            therapist=staff(Role.THERAPIST, site),
            chair=chair,
            start=first.start + dt.timedelta(minutes=30),
            end=first.end + dt.timedelta(minutes=30),
        )
