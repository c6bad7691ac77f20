"""Helpers shared by the integration services: the patient as the requester may see it, and row locks."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet
from django.http import Http404

from clinic import audit
from clinic.models import Patient, User
from clinic.scoping import get_patient_for


def visible_patient(by: User, patient: Patient | int, *, allowed: bool) -> Patient:
    """The patient if `by` may see them and `allowed` holds (the role's permission); 404 otherwise, so that what a
    requester may not read looks like what does not exist."""
    found = get_patient_for(by, patient.pk if isinstance(patient, Patient) else patient)
    if not allowed:
        audit.note_refused(found.pk)
        raise Http404("No such patient.")
    return found


def for_update[M: Model](qs: QuerySet[M]) -> QuerySet[M]:
    """Lock the rows of `qs` (only its own table's rows on PostgreSQL: joined tables stay unlocked)."""
    if connection.features.has_select_for_update_of:
        return qs.select_for_update(of=("self",))
    return qs.select_for_update()


def lock_patient(patient: Patient | int) -> Patient:
    pk = patient.pk if isinstance(patient, Patient) else patient
    return for_update(Patient.objects.select_related("site")).get(pk=pk)


def as_id(value: Any, field: str) -> int:
    """An id from the API or a form; raises ValueError naming nothing (the caller knows the field)."""
    if isinstance(value, bool):
        raise ValueError(field)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, Model) and isinstance(value.pk, int):
        return value.pk
    raise ValueError(field)
