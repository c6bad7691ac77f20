from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clinic import auth_audit, invitation_views, validators
        from clinic.reminders import admin, staff_alerts  # noqa: F401 (the admin registers the Reminder)
        from clinic.reminders import panels as reminder_panels
        from clinic.reports import admin as reports_admin
        from clinic.reports import panels as report_panels

        auth_audit.connect()
        validators.connect()
        staff_alerts.register()
        reminder_panels.register()
        report_panels.register()
        invitation_views.register()
        reports_admin.register()


class ClinicAdminConfig(AdminConfig):
    """The Django admin, restricted to clinic administrators and superusers (clinic.admin_site.ClinicAdminSite)."""

    default_site = "clinic.admin_site.ClinicAdminSite"
