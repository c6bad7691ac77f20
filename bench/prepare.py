"""The benchmark's own people and records on a seeded database (`seed_scale`), printed as JSON for bench/run.py.

Run by the harness as `python -m bench.prepare` with the bench settings. It signs in, server side, a nurse (the
staff pages and the API token) and the showcase patient (the portal), so that what is measured is the pages and
not the sign-in (which gains a second step for staff when the security work lands). It also makes what the POST
scenarios consume: patients cleared for dosing at a benchmark site with a chair each (one booking per request, each
in a free slot), and the due reminders of the dispatch measurement.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from clinic import services  # noqa: E402
from clinic.audit import audit_context  # noqa: E402
from clinic.models import Chair, Notification, NotificationKind, Patient, Role, Site, User  # noqa: E402
from clinic.reminders.models import Reminder  # noqa: E402
from clinic.security import tokens  # noqa: E402
from sessions.models import DosingSession  # noqa: E402

BOOKING_PATIENTS = 60
BENCH_SITE = "BENCH"


def signed_in(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def staff(username: str, role: str) -> User:
    user = User.objects.filter(username=username).first() or User(username=username, role=role)
    user.first_name, user.last_name, user.email = "Bench", "Testperson", f"{username}@clinic.invalid"
    user.set_unusable_password()
    user.save()
    user.sites.set(Site.objects.all())
    return user


def booking_patients(nurse: User, prescriber: User) -> dict[str, Any]:
    """Patients cleared today at a site of their own, one chair each: request k books patient k % n in their chair,
    3.5 days after their previous booking (two a week, 84 h apart, within the screening's 180 days)."""
    from intake import services as intake
    from intake.consent import CURRENT_CONSENT_VERSION

    site = Site.objects.filter(code=BENCH_SITE).first() or Site.objects.create(
        name="Benchmark site (synthetic data)", code=BENCH_SITE, time_zone="America/New_York"
    )
    nurse.sites.add(site)
    prescriber.sites.add(site)
    # The bookings of an earlier run on this database hold the slots this run books: they go (never dosed).
    earlier = DosingSession.objects.filter(chair__site=site)
    Reminder.objects.filter(
        subject_type="treatment_sessions.dosingsession", subject_id__in=earlier.values("pk")
    ).delete()
    earlier.delete()
    now = timezone.now()
    rows = []
    for n in range(BOOKING_PATIENTS):
        chair, _ = Chair.objects.get_or_create(site=site, name=f"Bench chair {n + 1}")
        patient = Patient.objects.filter(site=site, family_name=f"Testperson-B{n:03d}").first()
        if patient is None:
            patient = services.register_patient(by=None, site=site, data={
                "given_name": "Bench", "family_name": f"Testperson-B{n:03d}", "date_of_birth": dt.date(1980, 1, 1),
                "sex_at_birth": "female", "email": f"bench-{n}@example.invalid", "height_cm": Decimal("170"),
                "weight_kg": Decimal("70"),
            })  # fmt: skip
            intake.record_assessment(by=nurse, patient=patient, instrument="cssrs_screen", answers=CSSRS_NONE,
                                     administered_at=now - dt.timedelta(minutes=5))  # fmt: skip
            intake.screen_patient(by=nurse, patient=patient, facts=SCREENING_FACTS, screened_at=now)
            intake.record_consent(by=nurse, patient=patient, document_version=CURRENT_CONSENT_VERSION,
                                  signed_name=patient.full_name, signed_at=now)  # fmt: skip
            intake.record_medical_clearance(by=prescriber, patient=patient, note="Bench: fit for dosing.",
                                            cleared_at=now)  # fmt: skip
        rows.append({"patient": patient.pk, "chair": chair.pk})
    first = (now + dt.timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    return {"slots": rows, "first_start": first.isoformat(), "every_hours": 84}


CSSRS_NONE = dict.fromkeys(("q1", "q2", "q3", "q4", "q5", "q6_lifetime", "q6_past_3_months"), False)
SCREENING_FACTS: dict[str, Any] = {
    "height_cm": Decimal("170.0"), "weight_kg": Decimal("70.0"), "systolic": 124, "diastolic": 78, "heart_rate": 72,
    "history": [], "medications": [], "substance_use_disorder": {"status": "none", "remission_since": None},
    "failed_antidepressant_trials": 2,
}  # fmt: skip


def due_reminders(recipient: User, count: int) -> int:
    """`count` care-team alert emails due now: one Notification and one Reminder each (the real kind and path)."""
    now = timezone.now()
    patient = Patient.objects.order_by("pk").first()
    earlier = Notification.objects.filter(dedupe_key__startswith="bench-")  # an earlier run's, whoever received them
    alerts = Reminder.objects.filter(kind="staff_alert", subject_type="clinic.notification")
    alerts.filter(subject_id__in=earlier.values("pk")).delete()
    earlier.delete()
    notes = Notification.objects.bulk_create(
        Notification(recipient=recipient, patient=patient, kind=NotificationKind.SAFETY_ALERT, title="New safety alert",
                     link="/staff/", dedupe_key=f"bench-{n}") for n in range(count)
    )  # fmt: skip
    Reminder.objects.bulk_create(
        Reminder(kind="staff_alert", channel="email", patient=patient, recipient_user=recipient,
                 subject_type="clinic.notification", subject_id=note.pk, due_at=now, next_attempt_at=now)
        for note in notes
    )  # fmt: skip
    return count


def api_token(user: User) -> str:
    """A fresh API token (knox, as `POST /api/v1/auth/token/` gives one); the user's earlier ones are removed so that
    reruns stay under the tokens-per-user limit."""
    AuthToken.objects.filter(user=user).delete()
    return str(tokens.create(user, via="bench").token)


def main() -> None:
    reminders = int(os.environ.get("BENCH_REMINDERS", "0"))
    with audit_context(), transaction.atomic():
        nurse = staff("bench-nurse", Role.NURSE)
        prescriber = staff("bench-prescriber", Role.PRESCRIBER)
        chart = Patient.objects.order_by("pk").first()
        assert chart is not None, "seed_scale first"
        portal_user = chart.user
        monitor = chart.dosing_sessions.order_by("-start").first()
        today = timezone.localdate()
        sessions_today = DosingSession.objects.filter(start__date=today).order_by("start").values_list("pk", flat=True)
        plan = {
            "cookie_name": settings.SESSION_COOKIE_NAME,
            "staff_cookie": signed_in(nurse),
            "patient_cookie": signed_in(portal_user),
            "token": api_token(nurse),
            "chart_patient": chart.pk,
            "monitor_session": sessions_today.first() or monitor.pk,
            "today": today.isoformat(),
            "search": chart.family_name[:-3],
            "screening_patients": list(Patient.objects.exclude(site__code=BENCH_SITE).order_by("pk").values_list(
                "pk", flat=True)[:50]),
            "booking": booking_patients(nurse, prescriber),
            "patients": Patient.objects.count(),
            # Another nurse receives them: 10,000 unread alerts would weigh on the measured nurse's every page.
            "reminders": due_reminders(staff("bench-alerts", Role.NURSE), reminders) if reminders else 0,
        }  # fmt: skip
    # The planner's statistics include what this script added (the nurse now works at every site, the bookings'
    # patients, the due reminders), as they include the seeded rows: stale ones planned the patient search of a
    # nurse at 21 sites as if she worked at one (site by site, 170 ms at 100,000 patients instead of 60).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(json.dumps(plan, default=str))


if __name__ == "__main__":
    main()
