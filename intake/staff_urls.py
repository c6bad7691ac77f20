from django.urls import path

from intake import views

# Included inside the "staff" namespace by clinic/staff_urls.py: names are staff:intake, staff:intake_screen, ...
P = "patients/<int:patient_pk>/intake/"

urlpatterns = [
    path("intake/", views.IntakeWorklistView.as_view(), name="intake_worklist"),
    path(P, views.IntakeView.as_view(), name="intake"),
    path(f"{P}screening/", views.ScreeningCreateView.as_view(), name="intake_screen"),
    path(f"{P}questionnaires/<str:instrument>/", views.AssessmentEntryView.as_view(), name="intake_questionnaire"),
    path(f"{P}consent/", views.ConsentWitnessView.as_view(), name="intake_consent"),
    path(f"{P}screenings/<int:screening_pk>/override/", views.OverrideView.as_view(), name="intake_override"),
    path(f"{P}medical-clearance/", views.MedicalClearanceView.as_view(), name="intake_clearance"),
    path(f"{P}safety-tasks/<int:task_pk>/resolve/", views.ResolveSafetyTaskView.as_view(), name="intake_resolve"),
]
