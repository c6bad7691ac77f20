"""clinic.pdf: templates/pdf/ to PDF bytes through WeasyPrint, loading nothing but the app's own static files."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.safestring import mark_safe

from clinic import pdf
from clinic.charts import Series, time_chart_svg

BASE = pdf.DOCUMENT_BASE_URL
# A 1x1 transparent PNG.
PIXEL = base64.b64encode(
    bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                  "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")
).decode()  # fmt: skip
SYSTOLIC_STROKE = b"0.054902 0.384314 0.447059 RG"  # #0e6272, .chart-systolic in static/css/charts.css


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def _specimen(**context: object) -> bytes:
    return pdf.render_pdf("pdf/specimen.html", {"title": "Specimen for Testperson-01", **context})


def test_renders_the_context_as_text_with_the_running_header_and_page_numbers() -> None:
    data = _specimen(
        paragraphs=["Second dose went well for Testperson-01.", "<b>Not bold</b> & <script>alert(1)</script>"],
        rows=[("Dosing weight", "72.5 kg"), ("Route", "IV infusion")],
        printed_at="May 4, 2026, 9:00 a.m.",
    )
    assert data.startswith(b"%PDF-")
    [page] = _pages(data)
    assert "Second dose went well for Testperson-01." in page
    assert "<b>Not bold</b> & <script>alert(1)</script>" in page  # escaped by the template: printed as typed
    assert "Dosing weight 72.5 kg" in page
    assert "KAP Clinic Specimen for Testperson-01" in page  # the running header
    assert "Printed May 4, 2026, 9:00 a.m." in page
    assert "Page 1 of 1" in page  # the paged-media rules of static/css/pdf.css, served by the fetcher


def test_a_long_document_numbers_every_page_and_repeats_the_header() -> None:
    pages = _pages(_specimen(paragraphs=[f"Paragraph {n} of the long note." for n in range(120)]))
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "KAP Clinic Specimen for Testperson-01" in text


def _chart() -> str:
    t0 = datetime(2026, 5, 4, 13, tzinfo=UTC)
    series = Series("Systolic", ((t0, 120), (t0 + timedelta(minutes=30), 150)), "chart-systolic")
    return time_chart_svg([series], start=t0, end=t0 + timedelta(hours=1), y_min=40, y_max=200,
                          tz=ZoneInfo("America/New_York"), title="Vitals")  # fmt: skip


def test_a_chart_prints_in_the_colours_of_the_page() -> None:
    data = _specimen(chart=pdf.chart_for_pdf(_chart()), chart_caption="Blood pressure during the session")
    content = pypdf.PdfReader(io.BytesIO(data)).pages[0].get_contents().get_data()
    assert SYSTOLIC_STROKE in content
    assert "9:30 AM" in _pages(data)[0]  # the chart's axis is drawn
    # Without its own stylesheet WeasyPrint draws the SVG in default colours: the reason chart_for_pdf exists.
    bare = _specimen(chart=mark_safe(_chart()))  # noqa: S308 - our own SVG
    assert SYSTOLIC_STROKE not in pypdf.PdfReader(io.BytesIO(bare)).pages[0].get_contents().get_data()
    with pytest.raises(ValueError, match="<svg>"):
        pdf.chart_for_pdf("<p>not a chart</p>")


def test_the_fetcher_serves_static_files_from_disk() -> None:
    response = pdf.url_fetcher().fetch(f"{BASE}static/css/pdf.css")
    assert response.read() == (Path(settings.BASE_DIR) / "static/css/pdf.css").read_bytes()
    assert response.content_type == "text/css"
    assert pdf.static_file_for(f"{BASE}static/sessions/sessions.css?v=2#x").name == "sessions.css"  # app static


def test_collected_files_serve_hashed_names(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "pdf.0123abcd.css").write_text("p { color: red }")
    with override_settings(STATIC_ROOT=tmp_path):
        assert pdf.static_file_for(f"{BASE}static/css/pdf.0123abcd.css") == tmp_path / "css" / "pdf.0123abcd.css"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/static/css/pdf.css",
        f"{BASE}static/../../etc/passwd",
        f"{BASE}static/css/../../../etc/passwd",
        f"{BASE}static/%2e%2e/%2e%2e/etc/passwd",
        f"{BASE}static/css%2f..%2f..%2fclinic%2fsettings.py",
        f"{BASE}static//etc/passwd",
        f"{BASE}static/",
        f"{BASE}media/upload.png",
        f"{BASE}etc/passwd",
        "ftp://127.0.0.1/file",
        "gopher://127.0.0.1:70/",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:,plain",
        f"data:image/png;base64,{'A' * pdf.DATA_URL_MAX_CHARS}",
    ],
)
def test_the_fetcher_refuses_everything_else(url: str) -> None:
    with pytest.raises(pdf.ResourceRefused):
        pdf.url_fetcher().fetch(url)


def test_the_fetcher_lets_a_small_image_through_as_data_url() -> None:
    response = pdf.url_fetcher().fetch(f"data:image/png;base64,{PIXEL}")
    assert response.read() == base64.b64decode(PIXEL)


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"p { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_a_document_that_links_outside_static_fails_without_a_request(local_server: tuple[str, list[str]]) -> None:
    origin, hits = local_server
    for html in (
        f'<link rel="stylesheet" href="{origin}/evil.css"><p>x</p>',
        f'<img src="{origin}/tracker.png">',
        '<img src="file:///etc/passwd">',
        '<img src="/static/../../etc/passwd">',
        '<style>@import url("http://169.254.169.254/latest/meta-data/");</style><p>x</p>',
    ):
        with pytest.raises(pdf.PdfError, match="could not be made"):
            pdf.html_to_pdf(html)
    assert hits == []


def test_a_missing_static_file_fails_the_document() -> None:
    with pytest.raises(pdf.PdfError, match=r"no static file 'css/missing\.css'"):
        pdf.html_to_pdf('<link rel="stylesheet" href="/static/css/missing.css"><p>x</p>')


def test_weasyprint_is_imported_on_first_use_and_once_per_process() -> None:
    check = (
        "import sys, django; django.setup(); import clinic.pdf; "
        "assert 'weasyprint' not in sys.modules, 'imported too early'; "
        "first = clinic.pdf._weasyprint(); assert 'weasyprint' in sys.modules; "
        "assert clinic.pdf._weasyprint() is first; print('ok')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", "KAP_TESTING": "1"}
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, env=env,
                            cwd=settings.BASE_DIR, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
