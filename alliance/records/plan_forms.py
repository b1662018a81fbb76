"""The treatment plan's forms; the services (plans.py, plan_signing.py) check the rules, these
only read the fields and turn them into a draft."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from alliance.goals.models import Goal
from alliance.records.plan_models import PlanVersion
from alliance.records.plans import (
    OBJECTIVES_MAX,
    OTHER_MAX_CHARS,
    TEXT_MAX_CHARS,
    Draft,
    GoalEntry,
    Objective,
)

DIAGNOSIS_ROWS = 4
OBJECTIVE_ROWS = 3
assert OBJECTIVE_ROWS <= OBJECTIVES_MAX


def _textarea(label: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=help_text,
    )


class PlanForm(forms.Form):
    """The plan's fields; goals and their objectives are read from `goals`,
    `objective_<goal>_<n>` and `target_<goal>_<n>`, so a goal id that is not offered still
    reaches the service and is refused there with its reason."""

    presenting_problems = _textarea(_("Presenting problems"))
    interventions = _textarea(
        _("Interventions"), _("What you will do together, e.g. the approach and its methods.")
    )
    frequency = forms.ChoiceField(
        label=_("How often you meet"), choices=PlanVersion.Frequency.choices
    )
    frequency_other = forms.CharField(
        label=_("If other: how often"), required=False, max_length=OTHER_MAX_CHARS
    )
    review_on = forms.DateField(
        label=_("Review the plan by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Left empty: 90 days from today."),
    )
    primary = forms.TypedChoiceField(
        label=_("Primary diagnosis"),
        coerce=int,
        choices=[(i, str(i + 1)) for i in range(DIAGNOSIS_ROWS)],
        initial=0,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, goals: list[Goal], draft: Draft | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.offered = goals
        self.draft_initial = draft or Draft()
        for i in range(DIAGNOSIS_ROWS):
            self.fields[f"diagnosis_{i}"] = forms.CharField(
                label=_("Diagnosis %(n)d (ICD-10-CM code)") % {"n": i + 1},
                required=False,
                max_length=10,
            )
        self.goal_entries: tuple[GoalEntry, ...] = ()

    def diagnosis_fields(self) -> list[forms.BoundField]:
        return [self[f"diagnosis_{i}"] for i in range(DIAGNOSIS_ROWS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.is_bound:
            return data
        entries = []
        for raw in _posted_list(self.data, "goals"):
            try:
                goal_id = int(raw)
            except ValueError:
                raise ValidationError(_("Choose goals of this partnership.")) from None
            objectives = []
            for n in range(OBJECTIVE_ROWS):
                text = str(self.data.get(f"objective_{goal_id}_{n}", "")).strip()
                target = str(self.data.get(f"target_{goal_id}_{n}", "")).strip()
                if len(text) > TEXT_MAX_CHARS:
                    raise ValidationError(
                        _("An objective can be at most %(n)d characters.") % {"n": TEXT_MAX_CHARS}
                    )
                objectives.append(Objective(text, _date(target)))
            entries.append(GoalEntry(goal_id, tuple(objectives)))
        self.goal_entries = tuple(entries)
        return data

    def draft(self) -> Draft:
        data = self.cleaned_data
        return Draft(
            diagnoses=tuple(data.get(f"diagnosis_{i}", "") for i in range(DIAGNOSIS_ROWS)),
            primary=_primary_index(data),
            presenting_problems=data["presenting_problems"],
            goals=self.goal_entries,
            interventions=data["interventions"],
            frequency=data["frequency"],
            frequency_other=data["frequency_other"],
            review_on=data["review_on"],
        )

    def goal_rows(self) -> list[dict[str, Any]]:
        """Each offered goal with its checkbox and objective rows, from the posted data or
        the draft the form started from."""
        if self.is_bound:
            chosen = set(_posted_list(self.data, "goals"))
            values = {
                g.pk: [
                    (
                        self.data.get(f"objective_{g.pk}_{n}", ""),
                        self.data.get(f"target_{g.pk}_{n}", ""),
                    )
                    for n in range(OBJECTIVE_ROWS)
                ]
                for g in self.offered
            }
        else:
            entries = {e.goal_id: e for e in self.draft_initial.goals}
            chosen = {str(i) for i in entries}
            values = {}
            for g in self.offered:
                kept = entries[g.pk].objectives if g.pk in entries else ()
                rows = [(o.text, o.target_on.isoformat() if o.target_on else "") for o in kept]
                values[g.pk] = (rows + [("", "")] * OBJECTIVE_ROWS)[:OBJECTIVE_ROWS]
        return [
            {
                "goal": g,
                "checked": str(g.pk) in chosen,
                "objectives": [
                    {"n": n, "text": text, "target": target}
                    for n, (text, target) in enumerate(values[g.pk])
                ],
            }
            for g in self.offered
        ]


def _posted_list(data: Any, name: str) -> list[str]:
    """Every value posted under `name` (a QueryDict keeps them all; a plain dict one)."""
    if isinstance(data, QueryDict):
        return data.getlist(name)
    value = data.get(name, [])
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _primary_index(data: dict[str, Any]) -> int:
    """The primary row counted among the rows filled in, as the draft lists only those."""
    filled = [i for i in range(DIAGNOSIS_ROWS) if str(data.get(f"diagnosis_{i}", "")).strip()]
    chosen = data.get("primary")
    if chosen in filled:
        return filled.index(chosen)
    return 0 if len(filled) == 1 else -1


def _date(text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return forms.DateField().to_python(text)
    except ValidationError:
        raise ValidationError(
            _("Write each target date as a date, e.g. %(d)s.") % {"d": "2026-03-31"}
        ) from None


def initial_for(draft: Draft) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "presenting_problems": draft.presenting_problems,
        "interventions": draft.interventions,
        "frequency": draft.frequency,
        "frequency_other": draft.frequency_other,
        "review_on": draft.review_on,
        "primary": draft.primary,
    }
    for i, code in enumerate(draft.diagnoses[:DIAGNOSIS_ROWS]):
        initial[f"diagnosis_{i}"] = code
    return initial


class RespondForm(forms.Form):
    """The client's answer: agree (signing) or disagree (with a comment)."""

    answer = forms.ChoiceField(
        choices=[("agree", _("I agree")), ("disagree", _("I do not agree"))],
        widget=forms.HiddenInput,
    )
    typed_name = forms.CharField(label=_("Type your full name"), max_length=200, required=False)
    agreed = forms.BooleanField(required=False)
    comment = forms.CharField(
        label=_("What you disagree with, or would change"),
        required=False,
        max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    shown = forms.CharField(widget=forms.HiddenInput, max_length=64)
