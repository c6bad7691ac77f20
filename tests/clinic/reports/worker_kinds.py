"""Imported by the test workers (`celery worker -I tests.clinic.reports.worker_kinds`): registers the report kinds
of the sessions app as TreatmentSessionsConfig.ready() will once it calls sessions.reports.register()."""

from sessions import reports

reports.register()
