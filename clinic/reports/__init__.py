"""PDF reports: requested by staff (or a patient in the portal), rendered by a Celery worker, stored, downloaded.

- kinds.py: the registry of report kinds; apps register what they can fill (course summary, session record, ...);
- models.py: ReportJob, one requested report with its state and stored file;
- services.py: request, render (from the task), retry, download; every step audited;
- queries.py: which jobs a requester may see (through clinic.scoping);
- tasks.py: the Celery task, on the `reports` queue;
- api.py, views.py, panels.py: the REST API, the staff screens and the staff patient page's panel.

docs/architecture.md, "PDF reports", explains how they fit together.
"""
