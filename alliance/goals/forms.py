from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.goals import services
from alliance.goals.models import GAS_LABELS, GAS_MAX, GAS_MIN, Goal

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class GoalForm(forms.Form):
    title = forms.CharField(
        label=_("Goal"),
        max_length=services.TITLE_MAX_CHARS,
        help_text=_("In your own words, what you want to be different."),
    )
    description = forms.CharField(
        label=_("More about it (optional)"),
        required=False,
        max_length=services.DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RatingForm(forms.Form):
    value = forms.TypedChoiceField(
        label=_("How is it going?"),
        coerce=int,
        # Lazy: built when the form is shown, in the reader's language (an f-string here
        # would fix the labels in the language of the first import).
        choices=lambda: [(v, f"{v:+d} · {GAS_LABELS[v]}") for v in range(GAS_MAX, GAS_MIN - 1, -1)],
    )
    note = forms.CharField(
        label=_("A note (optional)"),
        required=False,
        max_length=services.NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=services.TITLE_MAX_CHARS)
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    goal = forms.TypedChoiceField(
        label=_("Towards goal (optional)"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, goals: Sequence[Goal] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (g.pk, g.title) for g in goals
        ]


class OutcomeForm(forms.Form):
    done = forms.TypedChoiceField(
        label=_("Did it happen?"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Done")), ("no", _("Not done"))],
        widget=forms.RadioSelect,
    )
    reflection = forms.CharField(
        label=_("How did it go? (optional)"),
        required=False,
        max_length=services.REFLECTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _agreement_field(label: StrOrPromise) -> forms.CharField:
    """One optional answer of the working agreement."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=services.AGREEMENT_FIELD_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClientAgreementForm(forms.Form):
    connected = _agreement_field(_("What helps me feel connected in our sessions"))
    distance = _agreement_field(_("What makes me feel distant or shut down"))
    communication = _agreement_field(_("How I like to be in touch between sessions"))
    session_structure = _agreement_field(_("How I like our sessions to be shaped"))
    feedback = _agreement_field(_("How I like to hear feedback"))


class TherapistAgreementForm(forms.Form):
    therapist_response = forms.CharField(
        label=_("Your response"),
        required=False,
        max_length=services.AGREEMENT_FIELD_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you will do with this; the client reads it."),
    )
