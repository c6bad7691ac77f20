from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from clinic.demo import DemoContext


class TreatmentSessionsConfig(AppConfig):
    name = "sessions"
    # "sessions" is taken by django.contrib.sessions.
    label = "treatment_sessions"
    verbose_name = "Dosing sessions"
    default_auto_field = "django.db.models.BigAutoField"

    demo_after: tuple[str, ...] = ("intake",)
    scale_seeder = "sessions.scale"  # its part of `manage.py seed_scale` (clinic/scale.py)

    def seed_demo(self, ctx: DemoContext) -> None:
        """Courses and sessions for the demo patients the intake demo cleared (sessions/demo.py; clinic.demo.seed)."""
        from sessions import demo

        demo.seed(ctx)

    def ready(self) -> None:
        from sessions import panels, reminders, reports

        panels.register()
        reports.register()
        reminders.register()
