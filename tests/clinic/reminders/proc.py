"""A process of the application as production runs it, with the test reminder kinds registered and, when
SLOW_SMS_SECONDS is set, text messages that take that long to hand over (so a test can kill a worker mid-batch).

    python -m tests.clinic.reminders.proc worker [celery worker options...]
    python -m tests.clinic.reminders.proc send_due_reminders
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from clinic import sms  # noqa: E402
from tests.clinic.reminders import kinds  # noqa: E402


def _slow_down(seconds: float) -> None:
    hand_over = sms.FileBackend.send

    def slow(self: sms.FileBackend, message: sms.TextMessage) -> str:
        time.sleep(seconds)  # the provider is slow: the message is not taken before this ends
        return hand_over(self, message)

    setattr(sms.FileBackend, "send", slow)  # noqa: B010 (patching the class)


def main(argv: list[str]) -> None:
    kinds.register()
    if float(os.environ.get("SLOW_SMS_SECONDS") or 0):
        _slow_down(float(os.environ["SLOW_SMS_SECONDS"]))
    if argv[0] == "worker":
        from clinic.celery import app

        app.worker_main(["worker", *argv[1:]])
    else:
        call_command(argv[0])


if __name__ == "__main__":
    main(sys.argv[1:])
