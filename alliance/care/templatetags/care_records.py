from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from alliance.care.records import RecordRow

register = template.Library()


@register.simple_tag
def estimate(row: RecordRow, measure: str, percent: bool = False) -> str:
    """A shrunk estimate with its interval, or why it is not shown."""
    found = row.estimates.get(measure)
    if found is None or found.cases == 0:
        return "—"
    if not found.shown:
        return _("not enough cases yet (%(n)s)") % {"n": found.cases}
    scale, unit, digits = (100.0, "%", 0) if percent else (1.0, "", 2)

    def fmt(v: float) -> str:
        return f"{v * scale:.{digits}f}{unit}"

    return _("%(mean)s (%(lo)s to %(hi)s; practice %(practice)s)") % {
        "mean": fmt(found.mean),
        "lo": fmt(found.lower),
        "hi": fmt(found.upper),
        "practice": fmt(found.practice_mean),
    }
