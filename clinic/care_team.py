"""Who may build a patient's care team, and who may join it.

One predicate answers "may this user change this patient's care team?": the services enforce it, and the admin,
the staff patient page and the API ask it before offering the form. The team is built by the people who run the
patient's site: its clinic administrators, prescribers and nurses. Members are active staff of the patient's site;
a therapist is the usual addition, since therapists see only the patients whose care team they are on.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from clinic.models import STAFF_ROLES, CareTeamMember, Patient, User
from clinic.scoping import can_manage_care_team as can_manage_care_team  # the one predicate (clinic.scoping)


def staff_of_site(patient: Patient) -> QuerySet[User]:
    """Everyone who may join `patient`'s care team: active staff of the patient's site."""
    return (
        User.objects.filter(is_active=True, role__in=STAFF_ROLES, sites=patient.site_id)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def staff_or_members(patient: Patient) -> QuerySet[User]:
    """Staff of the patient's site, and whoever is on the team already (a member who has since left the site)."""
    on_site = Q(pk__in=staff_of_site(patient).values("pk"))
    return User.objects.filter(on_site | Q(care_teams__patient=patient)).distinct()


def member_refusal(patient: Patient, member: User) -> str | None:
    """Why `member` cannot join `patient`'s care team, in words; None if they can."""
    if member.role not in STAFF_ROLES or not member.is_active:
        return "Only active staff members can join a care team."
    if not member.sites.filter(pk=patient.site_id).exists():
        return f"{display_name(member)} does not work at {patient.site.name}."
    if CareTeamMember.objects.filter(patient=patient, user=member).exists():
        return f"{display_name(member)} is already on the care team."
    return None


def display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()
