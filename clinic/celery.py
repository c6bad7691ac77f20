"""The Celery app. Configured from Django settings (CELERY_*): JSON only, time limits, acks_late.

Broker: Redis when REDIS_URL is set; otherwise kombu's filesystem transport under var/celery, so that a real
worker and beat run without Redis (the embedded mode of `make run`).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

# DjangoTask gives every task delay_on_commit()/apply_async_on_commit(): queue only once the transaction commits.
app = Celery("clinic", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
