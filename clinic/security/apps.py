from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "clinic.security"
    label = "security"
    verbose_name = "Security"
    default_auto_field = "django.db.models.BigAutoField"
    scale_seeder = "clinic.security.scale"  # its part of `manage.py seed_scale` (clinic/scale.py)

    def ready(self) -> None:
        from clinic.security import signals

        signals.connect()
