"""Building a care team: who may (one predicate, asked by the pages and enforced by the services), who may join,
and the audit of each change, in the admin and on the staff patient page."""

from __future__ import annotations

import pytest
from django.test import Client

from clinic import services
from clinic.care_team import can_manage_care_team
from clinic.errors import InvalidInput, NotAllowed
from clinic.models import AuditEvent, CareTeamMember, Role
from tests.conftest import World
from tests.factories import UserFactory, staff

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("admin1", True),
        ("prescriber1", True),
        ("nurse1", True),
        ("nurse2", False),  # another site
        ("therapist1", False),
        ("front_desk1", False),
        ("patient_a", False),
    ],
)
def test_who_may_manage_the_care_team(world: World, who: str, allowed: bool) -> None:
    assert can_manage_care_team(world.users()[who], world.patient_a) is allowed


def test_a_superuser_may_manage_any_care_team_and_an_anonymous_user_none(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    root = UserFactory(role="", is_superuser=True, username="root")
    assert can_manage_care_team(root, world.patient_b)
    assert not can_manage_care_team(AnonymousUser(), world.patient_a)


def test_a_nurse_adds_a_therapist_of_the_site_and_it_is_audited(world: World) -> None:
    entry = services.add_care_team_member(by=world.nurse1, patient=world.patient_a, member=world.therapist_unassigned)
    assert (entry.role, entry.is_primary) == (Role.THERAPIST, False)
    event = AuditEvent.objects.get(action="clinic.careteam.add")
    assert (event.actor, event.patient_id) == (world.nurse1, world.patient_a.pk)
    assert event.details["user"] == world.therapist_unassigned.username


@pytest.mark.parametrize("who", ["therapist1", "front_desk1", "nurse2"])
def test_refuses_a_writer_the_predicate_refuses(world: World, who: str) -> None:
    with pytest.raises(NotAllowed):
        services.add_care_team_member(by=world.users()[who], patient=world.patient_a, member=world.nurse1)
    with pytest.raises(NotAllowed):
        services.remove_care_team_member(by=world.users()[who], patient=world.patient_a, member=world.therapist1)
    assert not AuditEvent.objects.filter(action__startswith="clinic.careteam").exists()


def test_refuses_staff_of_another_site_a_patient_account_and_an_inactive_user(world: World) -> None:
    retired = staff(Role.THERAPIST, world.site1, username="retired", is_active=False)
    for member in (world.nurse2, world.patient_a_user, retired):
        with pytest.raises(InvalidInput) as refused:
            services.add_care_team_member(by=world.admin1, patient=world.patient_a, member=member)
        assert "user" in refused.value.errors
    assert "does not work at North Test Site" in " ".join(
        _errors(lambda: services.add_care_team_member(by=world.admin1, patient=world.patient_a, member=world.nurse2))
    )


def _errors(call) -> list[str]:
    try:
        call()
    except InvalidInput as exc:
        return exc.errors["user"]
    raise AssertionError("not refused")


def test_refuses_someone_already_on_the_team(world: World) -> None:
    assert "already on the care team" in " ".join(
        _errors(
            lambda: services.add_care_team_member(by=world.admin1, patient=world.patient_a, member=world.therapist1)
        )
    )


def test_removal_is_audited_and_refused_for_someone_not_on_the_team(world: World) -> None:
    services.remove_care_team_member(by=world.prescriber1, patient=world.patient_a, member=world.therapist1)
    assert not CareTeamMember.objects.filter(patient=world.patient_a).exists()
    event = AuditEvent.objects.get(action="clinic.careteam.remove")
    assert (event.actor, event.patient_id) == (world.prescriber1, world.patient_a.pk)
    assert "is not on the care team" in " ".join(
        _errors(
            lambda: services.remove_care_team_member(
                by=world.prescriber1, patient=world.patient_a, member=world.therapist1
            )
        )
    )


# --- The Django admin -------------------------------------------------------------------------------------------


def _patient_form(world: World, **care_team: str) -> dict[str, str]:
    patient = world.patient_a
    data = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": "1980-05-17",
        "sex_at_birth": "female",
        "is_active": "on",
        "email": patient.email,
        "preferred_reminder_channel": "email",
        "height_cm": "170.0",
        "weight_kg": "70.0",
        "care_team-MIN_NUM_FORMS": "0",
        "care_team-MAX_NUM_FORMS": "1000",
    }
    data.update(care_team)
    return data


def _existing_row(world: World, **extra: str) -> dict[str, str]:
    entry = CareTeamMember.objects.get(patient=world.patient_a, user=world.therapist1)
    return {"care_team-0-id": str(entry.pk), "care_team-0-patient": str(world.patient_a.pk), **extra}


def test_the_patient_admin_offers_a_care_team_row_limited_to_staff_of_the_site(world: World) -> None:
    page = _client(world.admin1).get(f"/admin/clinic/patient/{world.patient_a.pk}/change/")
    [inline] = page.context["inline_admin_formsets"]
    assert inline.has_add_permission
    choices = set(inline.formset.empty_form.fields["user"].queryset)
    assert world.therapist_unassigned in choices
    assert world.nurse1 in choices
    assert world.nurse2 not in choices
    assert world.patient_a_user not in choices


def test_adding_in_the_patient_admin_goes_through_the_service(world: World) -> None:
    data = _patient_form(
        world,
        **{"care_team-TOTAL_FORMS": "2", "care_team-INITIAL_FORMS": "1"},
        **_existing_row(world),
        **{"care_team-1-user": str(world.therapist_unassigned.pk), "care_team-1-is_primary": "on"},
    )
    response = _client(world.admin1).post(f"/admin/clinic/patient/{world.patient_a.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = CareTeamMember.objects.get(patient=world.patient_a, user=world.therapist_unassigned)
    assert (entry.role, entry.is_primary) == (Role.THERAPIST, True)
    event = AuditEvent.objects.get(action="clinic.careteam.add")
    assert event.actor == world.admin1


def test_removing_and_marking_primary_in_the_patient_admin_go_through_the_services(world: World) -> None:
    data = _patient_form(
        world, **{"care_team-TOTAL_FORMS": "1", "care_team-INITIAL_FORMS": "1"}, **_existing_row(world)
    )
    client = _client(world.admin1)
    primary = {**data, "care_team-0-is_primary": "on"}
    assert client.post(f"/admin/clinic/patient/{world.patient_a.pk}/change/", primary).status_code == 302
    assert CareTeamMember.objects.get(user=world.therapist1).is_primary
    assert AuditEvent.objects.filter(action="clinic.careteam.update", actor=world.admin1).count() == 1
    removal = {**data, "care_team-0-DELETE": "on"}
    assert client.post(f"/admin/clinic/patient/{world.patient_a.pk}/change/", removal).status_code == 302
    assert not CareTeamMember.objects.filter(patient=world.patient_a).exists()
    assert AuditEvent.objects.filter(action="clinic.careteam.remove", actor=world.admin1).count() == 1


def test_the_care_team_add_page_adds_through_the_service(world: World) -> None:
    client = _client(world.admin1)
    page = client.get("/admin/clinic/careteammember/add/")
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields["patient"].queryset) == [world.patient_a]
    response = client.post(
        "/admin/clinic/careteammember/add/",
        {"patient": world.patient_a.pk, "user": world.therapist_unassigned.pk},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AuditEvent.objects.get(action="clinic.careteam.add").actor == world.admin1


def test_the_care_team_add_page_refuses_staff_of_another_site_beside_the_field(world: World) -> None:
    both = staff(Role.CLINIC_ADMIN, world.site1, world.site2, username="admin.both")
    response = _client(both).post(
        "/admin/clinic/careteammember/add/", {"patient": world.patient_a.pk, "user": world.nurse2.pk}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"] == [
        f"{world.nurse2.get_full_name()} does not work at North Test Site."
    ]
    assert not CareTeamMember.objects.filter(user=world.nurse2).exists()


def test_the_care_team_can_be_removed_from_its_own_admin_page(world: World) -> None:
    entry = CareTeamMember.objects.get(user=world.therapist1)
    client = _client(world.admin1)
    url = f"/admin/clinic/careteammember/{entry.pk}/delete/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not CareTeamMember.objects.filter(pk=entry.pk).exists()
    assert AuditEvent.objects.get(action="clinic.careteam.remove").actor == world.admin1


def test_a_refusal_at_save_time_comes_back_as_a_message_not_a_server_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: object) -> None:
        raise InvalidInput({"user": "Someone changed this care team a moment ago."})

    monkeypatch.setattr(services, "add_care_team_member", refuse)
    client = _client(world.admin1)
    response = client.post(
        "/admin/clinic/careteammember/add/", {"patient": world.patient_a.pk, "user": world.therapist_unassigned.pk}
    )
    assert response.status_code == 302
    shown = [str(m) for m in client.get(response.url).context["messages"]]
    assert shown == ["Someone changed this care team a moment ago."]
    assert not CareTeamMember.objects.filter(user=world.therapist_unassigned).exists()


# --- The staff patient page -------------------------------------------------------------------------------------


def _page(world: World, who: str):
    return _client(world.users()[who]).get(f"/staff/patients/{world.patient_a.pk}/")


def test_the_patient_page_offers_the_team_form_to_those_the_predicate_allows(world: World) -> None:
    for who in ("nurse1", "prescriber1", "admin1"):
        form = _page(world, who).context["care_team_form"]
        groups = [options for _label, options in form.fields["member"].choices if isinstance(options, list)]
        offered = {pk for options in groups for pk, _label in options}
        assert world.therapist_unassigned.pk in offered, who
        assert world.therapist1.pk not in offered  # already on the team
        assert world.nurse2.pk not in offered  # another site
    for who in ("therapist1", "front_desk1"):
        page = _page(world, who)
        assert page.context["care_team_form"] is None
        assert "Add to the care team" not in page.content.decode()


def test_a_nurse_adds_a_therapist_on_the_patient_page(world: World) -> None:
    client = _client(world.nurse1)
    url = f"/staff/patients/{world.patient_a.pk}/care-team/"
    response = client.post(url, {"member": world.therapist_unassigned.pk, "is_primary": "on"})
    assert response.status_code == 302
    assert response.url == f"/staff/patients/{world.patient_a.pk}/#care-team"
    entry = CareTeamMember.objects.get(patient=world.patient_a, user=world.therapist_unassigned)
    assert entry.is_primary
    assert AuditEvent.objects.get(action="clinic.careteam.add").actor == world.nurse1
    page = client.get(response.url)
    assert f"{world.therapist_unassigned.get_full_name()} joined the care team." in page.content.decode()


def test_a_refused_addition_comes_back_with_the_reason_and_what_was_ticked(world: World) -> None:
    url = f"/staff/patients/{world.patient_a.pk}/care-team/"
    response = _client(world.nurse1).post(url, {"member": world.nurse2.pk, "is_primary": "on"})
    assert response.status_code == 400
    form = response.context["care_team_form"]
    assert form.errors["member"] == ["Choose a staff member of this site who is not on the care team yet."]
    assert form["is_primary"].value() is True
    assert not CareTeamMember.objects.filter(user=world.nurse2).exists()


@pytest.mark.parametrize("who", ["therapist1", "front_desk1"])
def test_roles_the_predicate_refuses_cannot_post_to_the_team(world: World, who: str) -> None:
    client = _client(world.users()[who])
    add = client.post(f"/staff/patients/{world.patient_a.pk}/care-team/", {"member": world.therapist_unassigned.pk})
    remove = client.post(f"/staff/patients/{world.patient_a.pk}/care-team/{world.therapist1.pk}/remove/")
    assert (add.status_code, remove.status_code) == (403, 403)
    assert CareTeamMember.objects.filter(patient=world.patient_a).count() == 1


def test_another_sites_patient_answers_404(world: World) -> None:
    client = _client(world.nurse1)
    assert client.post(f"/staff/patients/{world.patient_b.pk}/care-team/", {"member": 1}).status_code == 404
    assert client.post(f"/staff/patients/{world.patient_b.pk}/care-team/1/remove/").status_code == 404


def test_a_prescriber_removes_a_member_on_the_patient_page(world: World) -> None:
    client = _client(world.prescriber1)
    page = client.get(f"/staff/patients/{world.patient_a.pk}/").content.decode()
    assert f"Remove {world.therapist1.get_full_name()} from the care team" in page
    response = client.post(f"/staff/patients/{world.patient_a.pk}/care-team/{world.therapist1.pk}/remove/")
    assert response.status_code == 302
    assert not CareTeamMember.objects.filter(patient=world.patient_a).exists()
    assert AuditEvent.objects.get(action="clinic.careteam.remove").actor == world.prescriber1
    done = [str(m) for m in client.get(response.url).context["messages"]]
    assert done == [f"{world.therapist1.get_full_name()} is no longer on the care team."]
    again = client.post(f"/staff/patients/{world.patient_a.pk}/care-team/{world.therapist1.pk}/remove/")
    assert again.status_code == 302
    shown = [str(m) for m in client.get(again.url).context["messages"]]
    assert shown == [f"{world.therapist1.get_full_name()} is not on the care team."]
