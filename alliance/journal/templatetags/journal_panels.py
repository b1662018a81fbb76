"""The journal's section of the shared progress page (goals/progress.html).

The progress page belongs to goals, which sits below the journal in the import layers
(pyproject.toml); the page loads this tag library to show what the client shared, so goals
never imports the journal. The page has already checked that the reader may see the
partnership.
"""

from __future__ import annotations

from typing import Any

from django import template

from alliance.care.models import Partnership
from alliance.journal.queries import shared_entries

register = template.Library()


@register.inclusion_tag("journal/_progress_panel.html", takes_context=True)
def shared_journal(context: dict[str, Any], partnership: Partnership) -> dict[str, Any]:
    return {
        "user": context.get("user"),
        "shared_entries": list(shared_entries(partnership)[:10]),
    }
