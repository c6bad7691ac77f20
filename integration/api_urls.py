"""Routes of the integration API, included under /api/v1/ by clinic/api_urls.py (issue 9, item 7)."""

from django.urls import path

from integration import api

P = "patients/<int:patient_pk>/"

urlpatterns = [
    path(
        f"{P}integration-notes/",
        api.PatientNotesViewSet.as_view({"get": "list", "post": "create"}),
        name="patient-integration-notes",
    ),
    path(
        "integration-notes/<int:pk>/",
        api.NoteViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="integration-note",
    ),
    path("integration-notes/<int:pk>/sign/", api.NoteViewSet.as_view({"post": "sign"}), name="integration-note-sign"),
    path(
        "integration-notes/<int:pk>/addenda/",
        api.NoteViewSet.as_view({"post": "addenda"}),
        name="integration-note-addenda",
    ),
    path(f"{P}outcomes/", api.OutcomesViewSet.as_view({"get": "retrieve"}), name="patient-outcomes"),
    path(
        f"{P}maintenance-evaluations/",
        api.PatientEvaluationsViewSet.as_view({"get": "list", "post": "create"}),
        name="patient-maintenance-evaluations",
    ),
    path(
        "maintenance-evaluations/<int:pk>/resolve/",
        api.EvaluationViewSet.as_view({"post": "resolve"}),
        name="maintenance-evaluation-resolve",
    ),
    path(
        f"{P}relapse-plan/",
        api.RelapsePlanViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="patient-relapse-plan",
    ),
    path(
        f"{P}relapse-plan/revisions/",
        api.RelapsePlanViewSet.as_view({"get": "revisions"}),
        name="patient-relapse-plan-revisions",
    ),
]
