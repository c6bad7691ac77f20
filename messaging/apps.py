from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from clinic.demo import DemoContext


class MessagingConfig(AppConfig):
    name = "messaging"
    label = "messaging"
    verbose_name = "Secure messages"
    default_auto_field = "django.db.models.BigAutoField"

    scale_seeder = "messaging.scale"  # its part of `manage.py seed_scale` (clinic/scale.py)

    demo_after: tuple[str, ...] = ("integration",)

    def seed_demo(self, ctx: DemoContext) -> None:
        """A thread between a demo patient and their care team (messaging/demo.py)."""
        from messaging import demo

        demo.seed(ctx)

    def ready(self) -> None:
        from messaging import panels

        panels.register()
