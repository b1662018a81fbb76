from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.journal import services
from alliance.journal.models import MOOD_MAX, MOOD_MIN
from alliance.journal.prompts import Prompt


class EntryForm(forms.Form):
    prompt = forms.ChoiceField(label=_("A prompt to start from (optional)"), required=False)
    body = forms.CharField(
        label=_("Your entry"),
        required=False,
        max_length=services.BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    mood = forms.TypedChoiceField(
        label=_("Mood today (0 very low, 10 very good; optional)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(v, str(v)) for v in range(MOOD_MIN, MOOD_MAX + 1)],
    )
    bring_to_session = forms.CharField(
        label=_("What I want to bring to the next session (optional)"),
        required=False,
        max_length=services.BRING_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    share = forms.BooleanField(
        label=_("Share this entry with my therapist"),
        required=False,
        help_text=_("Entries are private unless you share them. You can share later, too."),
    )

    def __init__(
        self, *args: Any, prompts: list[Prompt] | None = None, can_share: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if prompts is None:
            del self.fields["prompt"]
        else:
            self.fields["prompt"].choices = [("", "—")] + [  # type: ignore[attr-defined]
                (p.key, p.text) for p in prompts
            ]
        if not can_share:
            del self.fields["share"]


class NotebookForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=services.NOTEBOOK_TITLE_MAX_CHARS)
    description = forms.CharField(
        label=_("What it is for (the client reads this)"),
        required=False,
        max_length=services.NOTEBOOK_DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    prompts = forms.CharField(
        label=_("Prompts, one per line"),
        max_length=services.MAX_PROMPTS * (services.PROMPT_MAX_CHARS + 2),
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("For example, one prompt for each day of a week."),
    )


class AssignForm(forms.Form):
    partnership = forms.TypedChoiceField(label=_("Client"), coerce=int)
    note = forms.CharField(
        label=_("A note for them (optional)"),
        required=False,
        max_length=services.NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, caseload: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partnership"].choices = [  # type: ignore[attr-defined]
            (p.pk, p.client.name) for p in caseload
        ]
