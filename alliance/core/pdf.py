"""PDF documents rendered with WeasyPrint, in a given language, loading nothing.

The URL fetcher refuses every address, so a document never loads anything from another host
(or from this one): everything it shows is in its HTML. Used by billing (invoices, receipts,
superbills) and records (signed documents, the record on request).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"a generated document loads nothing ({url})")


def render(template: str, context: dict[str, Any], *, language: str) -> bytes:
    from weasyprint import HTML  # imported on use: it loads Pango

    with translation.override(language):
        html = render_to_string(template, {**context, "language": language})
    return bytes(HTML(string=html, url_fetcher=_no_fetching).write_pdf())


def pdf_response(data: bytes, name: str, *, attachment: bool = False) -> HttpResponse:
    """A PDF shown in the browser, or downloaded when `attachment` (a signed copy, a record)."""
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response
