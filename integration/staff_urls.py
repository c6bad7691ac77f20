"""Staff screens of integration therapy, under /staff/integration/ (namespace staff:integration)."""

from django.urls import path

from integration import plan_views, views

app_name = "integration"

P = "patients/<int:patient_pk>/"
NOTE = f"{P}notes/<int:note_pk>/"

urlpatterns = [
    path(P, views.PatientIntegrationView.as_view(), name="patient"),
    path(f"{P}notes/new/<str:modality>/", views.NoteCreateView.as_view(), name="note_new"),
    path(NOTE, views.NoteView.as_view(), name="note"),
    path(f"{NOTE}edit/", views.NoteEditView.as_view(), name="note_edit"),
    path(f"{NOTE}sign/", views.NoteSignView.as_view(), name="note_sign"),
    path(f"{NOTE}addenda/", views.AddendumView.as_view(), name="note_addendum"),
    path(f"{P}dosing-session/", views.SessionFactsView.as_view(), name="session_facts"),
    path(f"{P}relapse-plan/", plan_views.RelapsePlanView.as_view(), name="plan"),
    path(f"{P}relapse-plan/edit/", plan_views.RelapsePlanEditView.as_view(), name="plan_edit"),
    path(
        f"{P}maintenance-evaluations/<int:evaluation_pk>/resolve/",
        plan_views.ResolveEvaluationView.as_view(),
        name="evaluation_resolve",
    ),
]
