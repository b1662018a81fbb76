"""The emergency-access record, readable: a part's export data (nested dicts and lists of
JSON values, `rights.clinical_record`) as headings, tables and definition lists, with
times in the reader's zone and codes turned into words, never as a Python dump."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

# At most this deep; anything deeper is shown as text (no export nests so far).
MAX_DEPTH = 6


def _words(key: str) -> str:
    return key.replace("_", " ").strip().capitalize()


def _when(text: str) -> str | None:
    """An ISO date or time from the export, formatted for people; None when it is not one."""
    if len(text) < 10 or text[4:5] != "-" or text[7:8] != "-":
        return None
    try:
        if len(text) == 10:
            return str(formats.date_format(dt.date.fromisoformat(text), "DATE_FORMAT"))
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return str(formats.date_format(moment, "DATETIME_FORMAT"))


def _scalar(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, str):
        when = _when(value)
        if when is not None:
            return when
        if value.isidentifier() and "_" in value:
            return _words(value).lower()  # a stored code such as no_show
    return str(value)


def _render(value: Any, depth: int) -> SafeString:
    if depth > MAX_DEPTH:
        return format_html("{}", str(value))
    if isinstance(value, dict):
        return _definitions(value, depth) if value else format_html("{}", "—")
    if isinstance(value, list):
        if not value:
            return format_html("{}", _("None."))
        if all(isinstance(v, dict) for v in value):
            return _table(value, depth)
        return format_html("{}", ", ".join(_scalar(v) for v in value))
    return format_html("{}", _scalar(value))


def _definitions(value: dict[str, Any], depth: int) -> SafeString:
    rows = ((_words(k), _render(v, depth + 1)) for k, v in value.items())
    return format_html(
        '<dl class="facts">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows)
    )


def _table(rows: list[dict[str, Any]], depth: int) -> SafeString:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    head = format_html_join("", '<th scope="col">{}</th>', ((_words(c),) for c in columns))

    def cells(row: dict[str, Any]) -> SafeString:
        return format_html_join(
            "", "<td>{}</td>", ((_render(row.get(c), depth + 1),) for c in columns)
        )

    body = format_html_join("", "<tr>{}</tr>", ((cells(row),) for row in rows))
    # A wide table scrolls on its own; focusable so a keyboard can scroll it too.
    return format_html(
        '<div class="table-scroll" tabindex="0"><table class="table">'
        "<thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>",
        head,
        body,
    )


@register.filter
def record_data(value: Any) -> SafeString:
    return mark_safe(_render(value, 0))


@register.filter
def record_value(value: Any) -> str:
    return _scalar(value)
