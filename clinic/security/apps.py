from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "clinic.security"
    label = "security"
    verbose_name = "Security"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clinic.security import signals

        signals.connect()
