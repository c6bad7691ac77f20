"""The floor: what Django and DRF cost on this machine for a plain 50-row list, signed in, through the same
middleware as the product's pages. Every page of the benchmark is compared with it (issue 13)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import ListView
from rest_framework import generics, serializers

from clinic.models import Patient

ROWS = 50
FIELDS = ("id", "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth", "email", "phone")


def first_rows() -> Any:
    return Patient.objects.order_by("pk").only(*FIELDS)[:ROWS]


class TemplateFloorView(LoginRequiredMixin, ListView):
    template_name = "bench/floor.html"

    def get_queryset(self) -> Any:
        return first_rows()


class FloorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = FIELDS


class DrfFloorView(generics.ListAPIView):
    serializer_class = FloorSerializer
    pagination_class = None

    def get_queryset(self) -> Any:
        return first_rows()
