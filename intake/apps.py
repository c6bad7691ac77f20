from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from clinic.demo import DemoContext


class IntakeConfig(AppConfig):
    name = "intake"
    default_auto_field = "django.db.models.BigAutoField"

    demo_after: tuple[str, ...] = ()
    scale_seeder = "intake.scale"  # its part of `manage.py seed_scale` (clinic/scale.py)

    def seed_demo(self, ctx: DemoContext) -> None:
        """Screenings, consent and clearance for the demo patients (intake/demo.py; clinic.demo.seed)."""
        from intake import demo

        demo.seed(ctx)

    def ready(self) -> None:
        from intake import panels

        panels.register()
