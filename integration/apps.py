from django.apps import AppConfig


class IntegrationConfig(AppConfig):
    name = "integration"
    default_auto_field = "django.db.models.BigAutoField"
    scale_seeder = "integration.scale"  # its part of `manage.py seed_scale` (clinic/scale.py)
