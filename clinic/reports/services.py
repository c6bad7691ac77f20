"""Report jobs: requested, rendered by the worker, retried, downloaded. Each step is audited (clinic.report.*).

- `request_report` checks the kind, the requester and the course or session asked for, and queues the render once
  the transaction commits; an identical request while one is being prepared returns that job (a database
  constraint makes two impossible).
- `make_report` is what the task runs: build the kind's context, render it with clinic.pdf, store the file under the
  job's own name (a second run overwrites it: one job, one file), mark it ready; or failed, with a sentence.
- `retry_report` puts a failed (or lost) job back in the queue; `open_report` hands a ready file to a download view.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from clinic import audit, pdf, times
from clinic.errors import Conflict, DomainError, InvalidInput, NotAllowed
from clinic.models import Patient, ReportJob, ReportStatus, User
from clinic.reports import kinds, queries

logger = logging.getLogger(__name__)

PARAMETER_WORDS = {"course": "course", "session": "dosing session"}
UNEXPECTED_FAILURE = "The report could not be made because of an error in the application; it is in the server's log."
LAYOUT_FAILURE = "The report's layout could not be printed; the details are in the server's log."
TOO_SLOW = "The report took too long to make; try again, and tell the clinic administrator if it keeps failing."


@dataclass(frozen=True)
class RequestedReport:
    job: ReportJob
    created: bool  # False: an identical request was already being prepared, and this is that job


@dataclass(frozen=True)
class ReportFile:
    job: ReportJob
    file: IO[bytes]
    filename: str


def _lock(pk: int) -> ReportJob:
    return ReportJob.objects.select_for_update(of=("self",)).select_related("patient__site").get(pk=pk)


def _parameters(kind: kinds.ReportKind, patient: Patient, given: Mapping[str, Any]) -> tuple[dict[str, int], str]:
    """The request's id checked against what the kind offers for this patient: ({"course": 12}, its label)."""
    errors: dict[str, str] = {}
    for name in kinds.PARAMETERS:
        if name != kind.parameter and given.get(name) not in (None, ""):
            errors[name] = f"A {kind.in_a_sentence} is not made for a {PARAMETER_WORDS[name]}; leave this out."
    if kind.parameter is None:
        if errors:
            raise InvalidInput(errors)
        return {}, ""
    word = PARAMETER_WORDS[kind.parameter]
    raw = given.get(kind.parameter)
    try:
        value = int(raw) if raw is not None and not isinstance(raw, bool) else None
    except (TypeError, ValueError):
        value = None
    choices = {choice.value: choice.label for choice in kind.choices_for(patient)}
    if value is None:
        errors[kind.parameter] = f"Say which {word} of this patient the {kind.in_a_sentence} is for."
    elif value not in choices:
        errors[kind.parameter] = f"This patient has no such {word} for a {kind.in_a_sentence}."
    if errors:
        raise InvalidInput(errors)
    assert value is not None  # noqa: S101 - narrowed by the errors above
    return {kind.parameter: value}, choices[value]


def request_key(kind: str, parameters: Mapping[str, int]) -> str:
    """What makes two requests identical: "course_summary:course=12"."""
    return ":".join([kind, *(f"{name}={value}" for name, value in sorted(parameters.items()))])


def refusal(exc: DomainError) -> str:
    """A refusal in one sentence for a page: the message, or the field messages of a 400."""
    if isinstance(exc, InvalidInput):
        return " ".join(message for field_messages in exc.errors.values() for message in field_messages)
    return exc.message


def _kind(name: Any) -> kinds.ReportKind:
    kind = kinds.get(name) if isinstance(name, str) else None
    if kind is None:
        known = ", ".join(k.name for k in kinds.all_kinds()) or "none yet"
        raise InvalidInput({"kind": f"Choose one of the reports this clinic makes: {known}."})
    return kind


def request_report(*, by: User, patient: Patient, kind: str, parameters: Mapping[str, Any]) -> RequestedReport:
    """Ask for a report of `kind` about `patient` (who must be visible to `by`, e.g. from clinic.scoping).
    Refused: unknown kind, a missing or foreign course/session (400, naming the field); a role that may not get
    this kind (403). Audited clinic.report.request; the render is queued after the commit."""
    report_kind = _kind(kind)
    if report_kind not in queries.kinds_for(by, patient):
        raise NotAllowed(f"The {report_kind.in_a_sentence} is not available to you.")
    params, subject = _parameters(report_kind, patient, parameters)
    key = request_key(report_kind.name, params)
    with transaction.atomic():
        # Identical requests queue behind the patient's row (on SQLite, behind the database's write lock).
        Patient.objects.select_for_update(of=("self",)).get(pk=patient.pk)
        pending = ReportJob.objects.filter(patient=patient, request_key=key, status=ReportStatus.PENDING).first()
        created = pending is None
        job = pending or ReportJob.objects.create(
            patient=patient,
            kind=report_kind.name,
            parameters=params,
            subject=subject,
            request_key=key,
            requested_by=by,
        )
        audit.record(
            "clinic.report.request",
            patient=patient,
            obj=job,
            actor=by,
            details={"kind": job.kind, **params, "existing": not created},
        )
        if created:
            _queue(job)
    return RequestedReport(job, created)


def _queue(job: ReportJob) -> None:
    from clinic.reports.tasks import render_report

    context = audit.current_context()
    request_id = context.request_id if context else None
    transaction.on_commit(functools.partial(render_report.delay, job.pk, request_id))


def _header(patient: Patient, content: kinds.ReportContent, now: dt.datetime) -> dict[str, Any]:
    """What every page prints: the running header (title, patient, MRN, date of birth) and the footer."""
    return {
        "title": content.title,
        "patient": {
            "name": patient.full_name,
            "mrn": patient.mrn,
            "date_of_birth": times.site_date(patient.date_of_birth, weekday=False),
        },
        "site": {"name": patient.site.name, "phone": patient.site.phone, "address": patient.site.address},
        "generated_at": times.site_datetime(now, patient.site),
        "protocol_version": content.protocol_version,
    }


def render(job: ReportJob, *, now: dt.datetime | None = None) -> tuple[bytes, str]:
    """The job's PDF and the protocol version it names: the kind's builder, its sections, clinic.pdf."""
    kind = kinds.get(job.kind)
    if kind is None:
        raise Conflict(f"This clinic no longer makes reports of the kind {job.kind!r}.", code="report_unavailable")
    patient = job.patient
    content = kind.build(patient, job.parameters)
    context: dict[str, Any] = dict(content.context)
    for key, build_section in kinds.sections(kind.name).items():
        value = build_section(patient, job.parameters)
        if value is not None:
            context[key] = value
    context.update(_header(patient, content, now or timezone.now()))
    return pdf.render_pdf(kind.template, context), content.protocol_version


def _fail(job_id: int, message: str) -> ReportJob:
    with transaction.atomic():
        job = _lock(job_id)
        if job.status == ReportStatus.FAILED:
            return job
        job.set_status(ReportStatus.FAILED, error=message[:500])
        audit.record(
            "clinic.report.fail", patient=job.patient_id, obj=job, details={"kind": job.kind, "error": message}
        )
    return job


def make_report(job_id: int) -> ReportJob | None:
    """Render and store job `job_id` (the task's work). Safe to run twice: the second run renders again and
    overwrites the same file. A failed job is left for `retry_report`; a missing one is ignored (None)."""
    with transaction.atomic():
        try:
            job = _lock(job_id)
        except ReportJob.DoesNotExist:
            logger.warning("report job %s does not exist (deleted, or a message from another database)", job_id)
            return None
        if job.status == ReportStatus.FAILED:
            return job
        ReportJob.objects.filter(pk=job.pk).update(attempts=job.attempts + 1)
    # Rendering takes seconds: outside the transaction, so the job's row is not locked meanwhile.
    try:
        data, protocol_version = render(job)
    except DomainError as exc:
        return _fail(job_id, exc.message)
    except pdf.PdfError as exc:  # the template asked for something PDFs may not load: a defect, not the data
        logger.error("report job %s: %s", job_id, exc)
        return _fail(job_id, LAYOUT_FAILURE)
    except SoftTimeLimitExceeded:
        return _fail(job_id, TOO_SLOW)
    except Exception:
        logger.exception("report job %s could not be made", job_id)
        return _fail(job_id, UNEXPECTED_FAILURE)
    return store_report(job_id, data, protocol_version)


def store_report(job_id: int, data: bytes, protocol_version: str) -> ReportJob:
    """Store the rendered `data` as job `job_id`'s file (overwriting it) and mark the job ready; audited."""
    sha256 = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        job = _lock(job_id)
        if job.status == ReportStatus.FAILED:  # failed by a concurrent run meanwhile: retry decides
            return job
        name = job.file.field.generate_filename(job, "report.pdf")
        storage = job.file.storage
        if storage.exists(name):
            storage.delete(name)  # overwrite: the storage would otherwise save under a new name beside it
        job.file.save(name, ContentFile(data), save=False)
        job.set_status(
            ReportStatus.READY,
            file=job.file.name,
            size_bytes=len(data),
            sha256=sha256,
            protocol_version=protocol_version,
            ready_at=timezone.now(),
        )
        audit.record(
            "clinic.report.ready",
            patient=job.patient_id,
            obj=job,
            details={"kind": job.kind, "size_bytes": len(data), "sha256": sha256, "attempt": job.attempts},
        )
    return job


def can_retry(user: Any, job: ReportJob) -> bool:
    return bool(getattr(user, "is_clinic_admin", False)) and (
        job.status == ReportStatus.FAILED or queries.is_stale(job)
    )


def retry_report(*, by: User, job: ReportJob) -> ReportJob:
    """Queue a failed job again, or a job whose task was lost (pending for longer than queries.STALE_AFTER).
    Clinic administrators only (403); any other job is refused (409 report_not_retryable). Audited."""
    if not by.is_clinic_admin:
        raise NotAllowed("Only a clinic administrator may retry a report.")
    with transaction.atomic():
        job = _lock(job.pk)
        if not can_retry(by, job):
            raise Conflict(
                f"Only a failed report can be tried again; this one is {job.get_status_display().lower()}.",
                code="report_not_retryable",
            )
        previous = {"status": job.status, "error": job.error}
        if job.status == ReportStatus.FAILED:
            job.set_status(ReportStatus.PENDING)
        else:
            job.save(update_fields=["updated_at"])  # restarts the clock of queries.STALE_AFTER
        audit.record("clinic.report.retry", patient=job.patient_id, obj=job, actor=by, details=previous)
        _queue(job)
    return job


def open_report(*, by: User, job: ReportJob, via: str) -> ReportFile:
    """The ready file of `job` (which must be visible to `by`, e.g. from clinic.reports.queries), opened for a
    download. 409 report_not_ready before it is ready. Audited clinic.report.download."""
    if job.status != ReportStatus.READY or not job.file:
        raise Conflict(
            "The report is not ready yet." if job.status == ReportStatus.PENDING else "The report could not be made.",
            code="report_not_ready",
            details={"status": job.status},
        )
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        logger.error("report job %s: its file %s is missing from storage", job.pk, job.file.name)
        raise Conflict("The report's file is missing; ask for the report again.", code="report_file_missing") from None
    audit.record(
        "clinic.report.download",
        patient=job.patient_id,
        obj=job,
        actor=by,
        details={"kind": job.kind, "sha256": job.sha256, "via": via},
    )
    day = timezone.localtime(job.ready_at).date() if job.ready_at else timezone.localdate()
    filename = f"{job.kind.replace('_', '-')}-{job.patient.mrn}-{day:%Y-%m-%d}.pdf"
    return ReportFile(job, handle, filename)
