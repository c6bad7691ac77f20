"""Integration records in the Django admin: read-only, scoped to the administrator's sites, content kept out."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.test import Client

from clinic.models import AuditEvent, Role, User
from integration import services
from integration.models import IntegrationNote
from tests.factories import SiteFactory, staff
from tests.integration.conftest import Integ

PLAN = {"warning_signs": ["Fictional-Warning-Sign"], "maintenance_criteria": "Fictional criteria."}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_integration_model_is_registered_and_read_only(integ: Integ) -> None:
    note = services.sign_note(by=integ.therapist, note=integ.draft())
    services.add_addendum(by=integ.therapist, note=note, text="Fictional-Addendum-Text")
    services.revise_relapse_plan(by=integ.therapist, patient=integ.patient, data=PLAN)
    services.open_maintenance_evaluation(by=integ.therapist, patient=integ.patient, reason="Fictional concern.")
    from integration import reminders
    from integration.models import QuestionnaireDue
    from tests.factories import patient_user

    questionnaire = QuestionnaireDue.objects.create(
        patient=integ.patient, instrument="phq9", due_at=integ.clock.now, reason="post_course_weekly"
    )
    token = reminders.make_link(questionnaire).rstrip("/").rsplit("/", 1)[1]
    assert reminders.use_link(by=patient_user(integ.patient), token=token).problem is None
    client = signed_in(integ.admin)
    for model in apps.get_app_config("integration").get_models():
        assert model in admin.site._registry, model
        name = model._meta.model_name
        listing = client.get(f"/admin/integration/{name}/")
        assert listing.status_code == 200, name
        assert listing.context["cl"].result_count == 1, name
        assert client.get(f"/admin/integration/{name}/add/").status_code == 403, name
        row = model._default_manager.get()
        page = client.get(f"/admin/integration/{name}/{row.pk}/change/")
        assert page.status_code == 200, name
        text = page.content.decode()
        assert 'type="submit" value="Save"' not in text, name
        for content in ("Fictional narrative", "storm", "Fictional-Addendum-Text", "Fictional-Warning-Sign"):
            assert content not in text, (name, content)
    assert client.post(f"/admin/integration/integrationnote/{note.pk}/change/", {"status": "draft"}).status_code == 403
    assert IntegrationNote.objects.get(pk=note.pk).is_signed
    assert client.post(f"/admin/integration/integrationnote/{note.pk}/delete/").status_code == 403
    views = AuditEvent.objects.filter(actor=integ.admin, patient=integ.patient, details__via="admin")
    assert set(views.values_list("action", flat=True)) == {
        "integration.note.view",
        "integration.relapseplan.view",
        "integration.maintenanceevaluation.view",
        "integration.note.list",
        "integration.relapseplan.list",
        "integration.maintenanceevaluation.list",
        "integration.questionnairedue.view",
        "integration.questionnairedue.list",
        "integration.questionnairelink.view",
        "integration.questionnairelink.list",
    }


def test_an_administrator_of_another_site_sees_nothing(integ: Integ) -> None:
    note = integ.draft()
    elsewhere = staff(Role.CLINIC_ADMIN, SiteFactory(code="AWAY"), username="admin.away")
    client = signed_in(elsewhere)
    assert client.get("/admin/integration/integrationnote/").context["cl"].result_count == 0
    page = client.get(f"/admin/integration/integrationnote/{note.pk}/change/")
    assert page.status_code == 302  # the admin's "no such object" redirect
    assert not AuditEvent.objects.filter(actor=elsewhere, action="integration.note.view").exists()


def test_admin_search_and_filters(integ: Integ) -> None:
    integ.draft()
    signed = services.sign_note(by=integ.therapist, note=integ.draft(modality="general", emdr=None))
    client = signed_in(integ.admin)
    found = client.get("/admin/integration/integrationnote/", {"q": integ.patient.mrn}).context["cl"]
    assert found.result_count == 2
    by_status = client.get("/admin/integration/integrationnote/", {"status__exact": "signed"}).context["cl"]
    assert [n.pk for n in by_status.result_list] == [signed.pk]
    by_modality = client.get("/admin/integration/integrationnote/", {"modality__exact": "emdr"}).context["cl"]
    assert by_modality.result_count == 1
