"""Operations: beat sends due reminders every minute, and every worker we start consumes the reminders queue."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings

from clinic.celery import app

ROOT = Path(settings.BASE_DIR)


def test_beat_claims_due_reminders_every_minute() -> None:
    entry = app.conf.beat_schedule["send-due-reminders"]
    assert (entry["task"], entry["schedule"]) == ("clinic.tasks.send_due_reminders", 60.0)


def test_each_send_goes_to_the_reminders_queue_which_workers_consume_by_default() -> None:
    assert app.amqp.router.route({}, "clinic.tasks.send_reminders")["queue"].name == "reminders"
    assert app.amqp.router.route({}, "clinic.tasks.send_reminder")["queue"].name == "reminders"
    assert app.amqp.router.route({}, "clinic.tasks.send_due_reminders")["queue"].name == "celery"
    assert {q.name for q in app.conf.task_queues} == {"celery", "reminders", "reports"}


def test_compose_and_make_run_start_workers_on_every_queue() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    worker = services["worker"]["command"]
    assert worker.startswith("celery -A clinic worker")
    assert " -Q" not in worker
    assert "--queues" not in worker
    assert services["beat"]["command"].startswith("celery -A clinic beat")
    run = (ROOT / "scripts" / "run.sh").read_text()
    assert "celery -A clinic worker --beat" in run
    assert " -Q" not in run
    assert "--queues" not in run


def test_beat_plans_questionnaires_and_checks_rems_deadlines() -> None:
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["integration.tasks.plan_questionnaire_reminders"] == 900.0
    assert schedule["sessions.tasks.alert_rems_deadlines"] == 3600.0
    from integration import tasks as integration_tasks
    from sessions import tasks as session_tasks

    assert integration_tasks.plan_questionnaire_reminders.name == "integration.tasks.plan_questionnaire_reminders"
    assert session_tasks.alert_rems_deadlines.name == "sessions.tasks.alert_rems_deadlines"
