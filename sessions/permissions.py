"""Who may do what with dosing sessions, courses, REMS forms and integration appointments.

The services enforce these predicates (clinic.domain.require) and the views and panels ask the same ones before
they offer an action, so a button is shown exactly when the service would accept the click. Seeing a patient at
all is decided by clinic.scoping.
"""

from __future__ import annotations

from clinic.models import Role
from clinic.scoping import Requester, is_active_user

BOOKING_ROLES = frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_ADMIN})
SESSION_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})
PRESCRIBER_ROLES = frozenset({Role.PRESCRIBER})
INTEGRATION_BOOKING_ROLES = BOOKING_ROLES | {Role.THERAPIST}
REMS_ROLES = SESSION_ROLES | {Role.CLINIC_ADMIN}


def _has_role(user: Requester | None, roles: frozenset[str]) -> bool:
    return is_active_user(user) and (user.is_superuser or user.role in roles)


def can_book(user: Requester | None) -> bool:
    """Front desk, nurses, prescribers and clinic administrators book, cancel and reschedule dosing sessions."""
    return _has_role(user, BOOKING_ROLES)


def can_run_sessions(user: Requester | None) -> bool:
    """Nurses and prescribers check patients in, record vitals, dose, record adverse events and discharge."""
    return _has_role(user, SESSION_ROLES)


def can_prescribe(user: Requester | None) -> bool:
    """Only a prescriber acknowledges a review, overrides a dose limit or stops a course (clinical protocol §2, §4)."""
    return _has_role(user, PRESCRIBER_ROLES)


def can_book_integration(user: Requester | None) -> bool:
    """Whoever books dosing sessions, and therapists, book integration sessions."""
    return _has_role(user, INTEGRATION_BOOKING_ROLES)


def can_submit_rems(user: Requester | None) -> bool:
    """Nurses, prescribers and clinic administrators (who often file the REMS paperwork) mark a REMS form
    submitted."""
    return _has_role(user, REMS_ROLES)
