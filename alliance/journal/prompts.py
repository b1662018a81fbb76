"""Journal prompts: a few general ones, one per open goal, and the session-prep prompt.

Prompts are keyed so a form can offer them as choices and the entry can store the exact
words the client saw.
"""

from __future__ import annotations

from dataclasses import dataclass

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
