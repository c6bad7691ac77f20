"""Staff screens of secure messages, under /staff/messages/ (namespace staff:messaging)."""

from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("patients/<int:patient_pk>/", views.ThreadListView.as_view(), name="threads"),
    path("patients/<int:patient_pk>/<int:thread_pk>/", views.ThreadView.as_view(), name="thread"),
]
