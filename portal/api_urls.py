"""`GET /api/v1/me/`, included under /api/v1/ by clinic/api_urls.py."""

from django.urls import path

from portal import api

urlpatterns = [
    path("me/", api.MeViewSet.as_view({"get": "retrieve"}), name="me"),
]
