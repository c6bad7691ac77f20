"""Routes of the messaging API, included under /api/v1/ by clinic/api_urls.py."""

from django.urls import path

from messaging import api

urlpatterns = [
    path("me/messages/", api.MyMessagesViewSet.as_view({"get": "list", "post": "create"}), name="me-messages"),
]
