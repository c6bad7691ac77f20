"""The admin site class, apart from clinic.admin so that Django's lazy default site can import it early."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class ClinicAdminSite(admin.AdminSite):
    site_header = "KAP Clinic administration"
    site_title = "KAP Clinic admin"
    index_title = "Administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_authenticated and user.is_clinic_admin)
