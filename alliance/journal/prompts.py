"""Journal prompts: a few general ones, one per open goal, and the session-prep prompt.

Prompts are keyed so a form can offer them as choices and the entry can store the exact
words the client saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from alliance.goals.models import Goal

BRING_TO_SESSION = "bring"


@dataclass(frozen=True)
class Prompt:
    key: str
    text: str
    goal_id: int | None = None


def general_prompts() -> list[Prompt]:
    return [
        Prompt("today", _("How was today, in a few words?")),
        Prompt("noticed", _("Something I noticed about myself this week")),
        Prompt("helped", _("Something that helped, even a little")),
        Prompt("hard", _("Something that was hard, and how I got through it")),
        Prompt(BRING_TO_SESSION, _("What I want to bring to the next session")),
    ]


def goal_prompt(goal: Goal) -> Prompt:
    return Prompt(
        f"goal-{goal.pk}",
        _("A step, however small, towards my goal: %(goal)s") % {"goal": goal.title},
        goal_id=goal.pk,
    )


def prompts_for(goals: list[Goal]) -> list[Prompt]:
    """General prompts, then one for each of the client's open, agreed goals."""
    return general_prompts() + [goal_prompt(g) for g in goals if g.is_active and g.is_agreed]


GOAL_PROMPT = "A step, however small, towards my goal: %(goal)s"


def _general_texts(language: str) -> dict[str, str]:
    with translation.override(language):
        return {p.text: p.key for p in general_prompts()}


def shown(stored: str | None) -> str | None:
    """A saved entry's prompt in the active language.

    An entry keeps the words the client saw, in the language they wrote in; a prompt of ours
    (a general one, or the goal prompt around the goal's own title) is shown in the reader's
    language. Anything else (a therapist's notebook prompt) is shown as stored.
    """
    if not stored:
        return stored
    current = {p.key: p.text for p in general_prompts()}
    for language, _name in settings.LANGUAGES:
        key = _general_texts(language).get(stored)
        if key is not None:
            return current[key]
        with translation.override(language):
            head, _sep, tail = gettext(GOAL_PROMPT).partition("%(goal)s")
        if stored.startswith(head) and stored.endswith(tail) and len(stored) > len(head + tail):
            title = stored[len(head) : len(stored) - len(tail) or None]
            return _(GOAL_PROMPT) % {"goal": title}
    return stored
