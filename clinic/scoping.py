"""Who may see which patient: the one place that decides it ("Access is decided in one place").

- clinic_admin, prescriber, nurse: the patients of their sites;
- front_desk: the patients of their sites, demographics and schedules only, never clinical data;
- therapist: the patients whose care team they are on;
- patient: their own record only;
- superuser: everyone.
Everything else sees nothing. What a requester may not see is answered with 404, never 403.

The core app's role predicates (`can_view_clinical`, `can_register_patients`, `can_add_chairs`,
`can_manage_care_team`) live here beside the scopes they refine; intake and sessions keep theirs in
intake/permissions.py and sessions/permissions.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from clinic import audit
from clinic.models import Chair, Patient, Role, Site, User
from clinic.security.models import BreakGlassGrant
from clinic.shared_reads import per_request

if TYPE_CHECKING:
    from typing_extensions import TypeIs

# Whoever reached a view or a task: a signed-in User, or an AnonymousUser (whom every function here refuses).
type Requester = User | AnonymousUser


def is_active_user(user: Requester | None) -> TypeIs[User]:
    """A signed-in user whose account is active (every predicate and scope starts here)."""
    return isinstance(user, User) and user.is_active


def sites_of(user: Requester) -> QuerySet[Site]:
    if not is_active_user(user):
        return Site.objects.none()
    if user.is_superuser:
        return Site.objects.all()
    if user.role == Role.PATIENT:
        return Site.objects.filter(patients__user=user)
    sites: QuerySet[Site] = user.sites.all()
    return sites


def patients_visible_to(user: Requester) -> QuerySet[Patient]:
    """Every query for patient data starts here."""
    qs = Patient.objects.select_related("site")
    if not is_active_user(user):
        return qs.none()
    if user.is_superuser:
        return qs
    role = user.role
    if role in {Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK}:
        if role == Role.PRESCRIBER:  # and the patients of the prescriber's active break-glass grants
            grants = BreakGlassGrant.objects.active().filter(user=user).values("patient_id")
            return qs.filter(Q(site__in=user.sites.all()) | Q(pk__in=grants))
        return qs.filter(site__in=user.sites.all())
    if role == Role.THERAPIST:
        return qs.filter(care_team__user=user).distinct()
    if role == Role.PATIENT and user.patient_id:
        return qs.filter(pk=user.patient_id)
    return qs.none()


@per_request
def get_patient_for(user: Requester, pk: Any, *, clinical: bool = False) -> Patient:
    """The patient `pk` if `user` may see it (and, with `clinical`, their clinical data); Http404 otherwise, also
    for a malformed id."""
    try:
        patient = patients_visible_to(user).get(pk=int(pk))
    except (Patient.DoesNotExist, TypeError, ValueError):
        note_refused(Patient, pk)
        raise Http404("No such patient.") from None
    if clinical and not can_view_clinical(user, patient):
        audit.note_refused(patient.pk)
        raise Http404("No such patient.")
    return patient


def patient_of(model: type[Model], pk: Any) -> int | None:
    """The patient of record `pk` of `model` (itself, its `patient`, or one foreign key away), whoever asks: for
    the audit entry of a refusal. None for a missing or malformed id, or a record about no patient."""
    if model is Patient:
        path = "pk"
    elif any(f.name == "patient" for f in model._meta.fields):
        path = "patient_id"
    else:
        path = next(
            (
                f"{f.name}__patient_id"
                for f in model._meta.fields
                if f.is_relation
                and f.related_model not in (None, User)
                and isinstance(f.related_model, type)
                and any(g.name == "patient" for g in f.related_model._meta.fields)
            ),
            "",
        )
    if not path:
        return None
    try:
        found = model._default_manager.filter(pk=int(pk)).values_list(path, flat=True).first()
    except (TypeError, ValueError, OverflowError):
        return None
    return found if isinstance(found, int) else None


def get_in_scope[M: Model](queryset: QuerySet[M], pk: Any, message: str = "Not found.") -> M:
    """The record `pk` of a scoped `queryset`; Http404 otherwise (also for a malformed id), the refusal noted for the
    audit trail when the record exists outside the scope."""
    try:
        return queryset.get(pk=int(pk))
    except (ObjectDoesNotExist, TypeError, ValueError, OverflowError):
        note_refused(queryset.model, pk)
        raise Http404(message) from None


def note_refused(model: type[Model], pk: Any) -> None:
    """Tell the audit trail whose record a scoped lookup refused (nothing when it does not exist)."""
    audit.note_refused(patient_of(model, pk))


def can_view_clinical(user: Requester, patient: Patient | None = None) -> bool:
    """Whether the user may see clinical data (of `patient`, which must already be visible to them)."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    if user.role == Role.PATIENT:
        return patient is None or user.patient_id == patient.pk
    return user.role in {Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.THERAPIST}


def can_register_patients(user: Requester) -> bool:
    return is_active_user(user) and (
        user.is_superuser or user.role in {Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK}
    )


def can_add_chairs(user: Requester, site: Site | None = None) -> bool:
    """Clinic administrators add chairs: at `site` if given (one of theirs), else at any of their sites."""
    if not (is_active_user(user) and user.is_clinic_admin):
        return False
    return site is None or sites_of(user).filter(pk=site.pk).exists()


CARE_TEAM_MANAGERS = frozenset({Role.CLINIC_ADMIN, Role.PRESCRIBER, Role.NURSE})


@per_request
def works_at(user: Requester, site_id: int) -> bool:
    """Whether staff member `user` works at site `site_id` (one of their sites)."""
    return is_active_user(user) and user.sites.filter(pk=site_id).exists()


@per_request
def can_manage_care_team(user: Requester, patient: Patient) -> bool:
    """Clinic administrators, prescribers and nurses of the patient's site build the patient's care team."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return user.role in CARE_TEAM_MANAGERS and works_at(user, patient.site_id)


def chairs_visible_to(user: Requester) -> QuerySet[Chair]:
    if not is_active_user(user) or user.role == Role.PATIENT:
        return Chair.objects.none()
    return Chair.objects.select_related("site").filter(site__in=sites_of(user))
