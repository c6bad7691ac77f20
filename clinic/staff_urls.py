from django.urls import include, path

from clinic import views

app_name = "staff"

urlpatterns = [
    path("", views.StaffHomeView.as_view(), name="home"),
    path("patients/new/", views.PatientCreateView.as_view(), name="patient_create"),
    path("patients/<int:patient_pk>/", views.PatientDetailView.as_view(), name="patient_detail"),
    path("", include("intake.staff_urls")),
    path("schedule/", include("sessions.staff_urls")),
    path("", include("clinic.reports.staff_urls")),
]
