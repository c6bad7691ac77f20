from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from clinic.demo import DemoContext


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "Integration therapy"
    default_auto_field = "django.db.models.BigAutoField"

    scale_seeder = "integration.scale"  # its part of `manage.py seed_scale` (clinic/scale.py)

    demo_after: tuple[str, ...] = ("treatment_sessions",)

    def seed_demo(self, ctx: DemoContext) -> None:
        """Notes, a relapse-prevention plan and outcomes for the demo patients (integration/demo.py)."""
        from integration import demo

        demo.seed(ctx)

    def ready(self) -> None:
        from clinic import events
        from integration import panels, receivers, reminders, reports

        panels.register()
        reports.register()
        reminders.register()
        events.on_assessment_recorded.register(receivers.watch_relapse)
        events.on_assessment_recorded.register(receivers.close_questionnaire)
