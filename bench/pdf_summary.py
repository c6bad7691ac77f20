"""The PDF course summary against WeasyPrint alone (issue 13: at most 1.5x WeasyPrint's bare render of the same HTML,
and under 1 s). Run by bench/run.py with the benchmark's settings and database:

    python -m bench.pdf_summary      # prints one JSON line

In one warm process (WeasyPrint imported, the template and fonts loaded by a first render), as a worker is after
its first report: the summary of the showcase patient's course, `clinic.reports.services.render` (the kind's
builder reads the course from the database, its sections, the template, the PDF), median of 10; then WeasyPrint
alone on the very HTML that render produced (same stylesheets, same fetcher), median of 10. Storing the file is
left out of both.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import django

RUNS = 10


def _median_ms(work: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(runs: int = RUNS) -> dict[str, Any]:
    """The figures, in a process where Django is set up (the showcase patient is the first)."""
    import weasyprint
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import timezone

    from clinic import pdf
    from clinic.models import Patient, ReportJob
    from clinic.reports import kinds, services
    from sessions.models import TreatmentCourse

    patient = Patient.objects.order_by("pk").first()
    assert patient is not None, "seed_scale first"
    course = TreatmentCourse.objects.filter(patient=patient).order_by("-start_date").first()
    assert course is not None, "the showcase patient has a course"
    job = ReportJob(patient=patient, kind="course_summary", parameters={"course": course.pk})

    # The same HTML as render() gives WeasyPrint: the kind's context, its sections, the header.
    kind = kinds.get("course_summary")
    assert kind is not None
    content = kind.build(patient, job.parameters)
    context: dict[str, Any] = dict(content.context)
    for key, section in kinds.sections(kind.name).items():
        if (value := section(patient, job.parameters)) is not None:
            context[key] = value
    context.update(services._header(patient, content, timezone.now()))  # the header render() prints
    html = render_to_string(kind.template, {"clinic_name": settings.CLINIC_NAME, **context})

    def bare() -> bytes:
        document = weasyprint.HTML(string=html, base_url=pdf.DOCUMENT_BASE_URL, url_fetcher=pdf.url_fetcher())
        return bytes(document.write_pdf())

    data, _ = services.render(job)  # warm: imports, template, fonts
    bare()
    summary_ms = _median_ms(lambda: services.render(job), runs)
    bare_ms = _median_ms(bare, runs)
    ratio = summary_ms / bare_ms
    return {
        "course_summary_ms": round(summary_ms, 1),
        "weasyprint_bare_ms": round(bare_ms, 1),
        "ratio": round(ratio, 2),
        "pdf_bytes": len(data),
        "html_chars": len(html),
        "met": ratio <= 1.5 and summary_ms < 1000,
        "figures": f"{summary_ms:.0f} ms vs {bare_ms:.0f} ms bare ({ratio:.2f}x), median of {runs}",
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    print(json.dumps(measure()))


if __name__ == "__main__":
    main()
