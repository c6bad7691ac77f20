"""Demo records of integration therapy (`make run`): notes by the demo therapist and relapse-prevention plans,
through the services. Synthetic and obviously fake; patients that already have notes are left alone."""

from __future__ import annotations

from clinic.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    """Filled in below."""
