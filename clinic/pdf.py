"""PDFs: a Django template under templates/pdf/ rendered to bytes by WeasyPrint.

`render_pdf("pdf/<doc>.html", context)` renders the template (extending `pdf/base.html`: running header, "Page x
of y", print styles from static/css/pdf.css) with the default, escaping engine, so text from the context stays text.

WeasyPrint loads what a document links to (stylesheets, images, fonts) through a URL fetcher. Ours serves only the
application's own static files, read from disk through Django's staticfiles finders (or the collected files of
STATIC_ROOT, for hashed names in production); it never makes a network request, and it refuses every other URL:
`file:`, `http(s):` anywhere but the static prefix, path traversal, any other scheme. `data:` URLs pass only for
small images (a signature, a logo), because they reach neither the disk nor the network. A refused or missing
resource stops the rendering with `PdfError`, so a broken template fails its test instead of printing a page without
its styles.

WeasyPrint is imported on first use and kept for the life of the process (`_weasyprint`): web processes that never
print do not load it, and a Celery worker loads it once. Rendering belongs in a Celery task (`<app>/tasks.py`), not
in a request (docs/architecture.md, "PDFs").
"""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

__all__ = [
    "PdfError",
    "ResourceRefused",
    "chart_for_pdf",
    "html_to_pdf",
    "render_pdf",
    "static_file_for",
    "url_fetcher",
]

# The documents' base URL: relative and root-relative links ({% static %}) resolve against it. `.invalid` cannot
# resolve (RFC 2606); nothing is fetched from it anyway, the fetcher maps the static prefix to files on disk.
DOCUMENT_BASE_URL = "https://pdf.clinic.invalid/"
DATA_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"})
DATA_URL_MAX_CHARS = 512 * 1024
CHART_STYLESHEET = "css/charts.css"


class PdfError(RuntimeError):
    """The PDF could not be made (a resource was refused or is missing)."""


class ResourceRefused(ValueError):
    """A document asked for a URL that PDFs may not load."""


def _short(url: str) -> str:
    return url if len(url) <= 80 else url[:77] + "..."


def static_file_for(url: str) -> Path:
    """The file on disk behind a URL under the static prefix; `ResourceRefused` for any other URL."""
    prefix = urljoin(DOCUMENT_BASE_URL, settings.STATIC_URL)
    parts = urlsplit(url)
    if not url.startswith(prefix) or parts.scheme not in {"http", "https"}:
        raise ResourceRefused(f"A PDF may load only the application's static files, not {_short(url)}")
    name = unquote(url[len(prefix) :].partition("?")[0].partition("#")[0])
    segments = name.split("/")
    if not name or any(s in {"", ".", ".."} for s in segments) or "\\" in name or "\x00" in name:
        raise ResourceRefused(f"Not a static file name: {_short(url)}")
    found = finders.find(name)
    if isinstance(found, str):
        return Path(found)
    if hasattr(staticfiles_storage, "path") and staticfiles_storage.exists(name):
        return Path(staticfiles_storage.path(name))  # collected (hashed) names in production
    raise ResourceRefused(f"There is no static file {name!r}")


def _check_data_url(url: str) -> None:
    mimetype = url[len("data:") :].partition(",")[0].partition(";")[0].strip().lower()
    if mimetype not in DATA_IMAGE_TYPES:
        raise ResourceRefused(f"A PDF may embed only images as data: URLs, not {mimetype or 'text'!r}")
    if len(url) > DATA_URL_MAX_CHARS:
        raise ResourceRefused(f"An embedded image is larger than {DATA_URL_MAX_CHARS // 1024} KB")


def chart_for_pdf(svg: str) -> SafeString:
    """An SVG from clinic.charts, ready for a PDF template: WeasyPrint applies no document stylesheet inside an
    inline SVG, so the chart carries the rules of static/css/charts.css in a <style> of its own and prints in the
    colours of the page. `svg` must come from clinic.charts, which escapes every text it draws."""
    head, bracket, rest = svg.partition(">")
    if not head.startswith("<svg") or not bracket:
        raise ValueError("chart_for_pdf takes an <svg> element drawn by clinic.charts")
    rules = static_file_for(urljoin(DOCUMENT_BASE_URL, static(CHART_STYLESHEET))).read_text()
    return mark_safe(f"{head}><style>{rules}</style>{rest}")  # noqa: S308 - our SVG and our stylesheet


@dataclass(frozen=True)
class _WeasyPrint:
    html: Any  # weasyprint.HTML
    fetcher: Any  # our URLFetcher subclass; one instance per document (it keeps per-request state)
    fatal: type[BaseException]  # weasyprint.urls.FatalURLFetchingError


@functools.cache
def _weasyprint() -> _WeasyPrint:
    """Import WeasyPrint (about half a second, and its system libraries) once per process, on first use."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class StaticFilesOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type information
        def __init__(self) -> None:
            # The parent only decodes data: URLs (after our check); no redirects, no network.
            super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
            if url.startswith("data:"):
                _check_data_url(url)
                return super().fetch(url, headers)
            path = static_file_for(url)
            mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mimetype})

    return _WeasyPrint(html=weasyprint.HTML, fetcher=StaticFilesOnlyFetcher, fatal=FatalURLFetchingError)


def url_fetcher() -> Any:
    """A fresh fetcher of the kind every PDF uses (for tests and for a caller that builds its own HTML object)."""
    return _weasyprint().fetcher()


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document (already rendered and escaped), its links resolved by the static-only fetcher."""
    engine = _weasyprint()
    try:
        document = engine.html(string=html, base_url=DOCUMENT_BASE_URL, url_fetcher=engine.fetcher())
        pdf: bytes = document.write_pdf()
    except engine.fatal as exc:
        raise PdfError(f"The PDF could not be made: {exc.__cause__ or exc}") from exc
    return pdf


def render_pdf(template_name: str, context: Mapping[str, Any]) -> bytes:
    """Render `template_name` (e.g. "pdf/specimen.html") with `context` and return the PDF's bytes."""
    html = render_to_string(template_name, {"clinic_name": settings.CLINIC_NAME, **context})
    return html_to_pdf(html)
