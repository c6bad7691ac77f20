"""Finding a patient by name or MRN among those a staff member may see: the staff home's search and the patient
pickers of other pages (booking) share it, so every search matches the same way and says when it shows only part
of what matched. The picker's template is templates/partials/patient_picker.html."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import Q, QuerySet

from clinic.models import Patient
from clinic.scoping import Requester, patients_visible_to

PICKER_LIMIT = 20


def matching(patients: QuerySet[Patient], query: str) -> QuerySet[Patient]:
    """`patients` whose family name, given name or MRN contains `query` (all of them for an empty query)."""
    query = query.strip()
    if not query:
        return patients
    return patients.filter(Q(family_name__icontains=query) | Q(given_name__icontains=query) | Q(mrn__icontains=query))


class PatientMatches(NamedTuple):
    """The first patients that match, and whether more matched than are shown."""

    patients: list[Patient]
    more: bool


def pick_patients(user: Requester, query: str, *, limit: int = PICKER_LIMIT) -> PatientMatches:
    """Active patients `user` may see that match `query`, at most `limit` of them; nothing for an empty query."""
    if not query.strip():
        return PatientMatches([], False)
    found = list(matching(patients_visible_to(user).filter(is_active=True), query)[: limit + 1])
    return PatientMatches(found[:limit], len(found) > limit)
