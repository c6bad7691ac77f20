"""Intake endpoints, included under /api/v1/ by clinic/api_urls.py."""

from django.urls import path

from intake import api

urlpatterns = [
    path(
        "patients/<int:patient_pk>/assessments/",
        api.AssessmentViewSet.as_view({"get": "list", "post": "create"}),
        name="patient-assessments",
    ),
    path(
        "patients/<int:patient_pk>/screenings/",
        api.PatientScreeningViewSet.as_view({"get": "list", "post": "create"}),
        name="patient-screenings",
    ),
    path(
        "patients/<int:patient_pk>/consent/",
        api.ConsentViewSet.as_view({"get": "list", "post": "create"}),
        name="patient-consent",
    ),
    path(
        "patients/<int:patient_pk>/medical-clearance/",
        api.MedicalClearanceViewSet.as_view({"get": "list", "post": "create"}),
        name="patient-medical-clearance",
    ),
    path(
        "patients/<int:patient_pk>/dosing-clearance/",
        api.DosingClearanceViewSet.as_view({"get": "retrieve"}),
        name="patient-dosing-clearance",
    ),
    path("screenings/<int:pk>/", api.ScreeningViewSet.as_view({"get": "retrieve"}), name="screening-detail"),
    path(
        "screenings/<int:pk>/override/",
        api.ScreeningViewSet.as_view({"post": "override"}),
        name="screening-override",
    ),
]
