"""Forms built from instrument definitions, the outcome schedule, alert workflow forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.checkins.alert_workflow import NOTE_MAX_CHARS
from alliance.checkins.instruments import localized
from alliance.checkins.models import SafetyAssessment
from alliance.checkins.submission import COMMENT_MAX_CHARS
from alliance.measures.instrument import Instrument


class InstrumentForm(forms.Form):
    """One questionnaire: a radio group per choice item (keyboard: arrows move within a
    group, Tab moves between groups), an optional free-text box per text item."""

    instrument_id = forms.CharField(widget=forms.HiddenInput)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, instrument: Instrument, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.item_fields: list[str] = []
        for item in instrument.items:
            name = f"item_{item.id}"
            if item.kind == "choice":
                self.fields[name] = forms.TypedChoiceField(
                    label=localized(item.text),
                    choices=[(str(o.value), localized(o.text)) for o in item.options],
                    coerce=lambda v: float(v) if "." in str(v) else int(v),
                    widget=forms.RadioSelect,
                    required=item.required and item.scored,
                    error_messages={"required": _("Please choose an answer.")},
                )
            elif item.kind == "numeric":
                self.fields[name] = forms.FloatField(
                    label=localized(item.text),
                    min_value=item.min_value,
                    max_value=item.max_value,
                    required=item.required,
                )
            else:
                self.fields[name] = forms.CharField(
                    label=localized(item.text),
                    required=False,
                    max_length=COMMENT_MAX_CHARS,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            self.item_fields.append(name)

    def answers(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in self.instrument.items:
            value = self.cleaned_data.get(f"item_{item.id}")
            if value in (None, ""):
                if item.kind == "text":
                    continue
                value = None
            out[item.id] = value
        return out

    def item_bound_fields(self) -> list[Any]:
        return [self[name] for name in self.item_fields]


class ScheduleForm(forms.Form):
    instruments = forms.MultipleChoiceField(
        label=_("Outcome measures"), widget=forms.CheckboxSelectMultiple, required=False
    )
    every_n_sessions = forms.IntegerField(
        label=_("Ask every n sessions (after the first)"), min_value=1, max_value=12
    )

    def __init__(self, choices: list[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instruments"].choices = choices  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX_CHARS,
        required=False,
    )


class RepairForm(forms.Form):
    note = forms.CharField(
        label=_("The repair you plan (what you will do or say)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX_CHARS,
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("Why this alert can be closed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX_CHARS,
    )


def _area(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label, widget=forms.Textarea(attrs={"rows": 2}), max_length=NOTE_MAX_CHARS
    )


class SafetyCloseForm(forms.Form):
    """Risk assessment and a safety plan (the six steps of Stanley & Brown 2012, and the
    client's reasons for living); all fields required."""

    risk_level = forms.ChoiceField(label=_("Assessed risk"), choices=SafetyAssessment.Risk.choices)
    risk_assessment = _area(_("Risk assessment (what you asked, what you found)"))
    warning_signs = _area(_("1. Warning signs"))
    coping_strategies = _area(_("2. Internal coping strategies"))
    social_distractions = _area(_("3. People and social settings that provide distraction"))
    people_to_ask = _area(_("4. People whom I can ask for help"))
    professionals = _area(_("5. Professionals or agencies to contact in a crisis"))
    environment_safety = _area(_("6. Making the environment safe"))
    reasons_for_living = _area(_("7. Reasons for living"))


class ImportQuestionnaireForm(forms.Form):
    """A FHIR Questionnaire to import, and, per safety item of each base instrument, which
    imported item asks it (needed only when the import cannot recognise it: a linkId to
    type, or a list of the imported items once an import has been refused for it)."""

    BASES = (("phq9", "PHQ-9"), ("gad7", "GAD-7"))

    instrument_id = forms.SlugField(
        label=_("Instrument id (letters, digits, _ or -)"), max_length=60
    )
    questionnaire = forms.CharField(
        label=_("FHIR Questionnaire (JSON)"), widget=forms.Textarea(attrs={"rows": 12})
    )
    base = forms.ChoiceField(
        label=_("Borrow scoring rules from (optional)"),
        required=False,
        choices=[("", "—"), *BASES],
    )
    max_missing = forms.IntegerField(
        label=_("Items that may be missing (prorated)"), min_value=0, required=False
    )

    def __init__(
        self,
        *args: Any,
        candidates: tuple[tuple[str, str], ...] = (),
        candidates_for: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        from alliance.measures.registry import get_instrument

        self.map_fields: dict[str, dict[str, str]] = {}  # base -> {its item id: field name}
        for base_id, _name in self.BASES:
            base = get_instrument(base_id)
            scored = [item.id for item in base.scored_items]
            for critical in base.critical_items:
                name = f"map_{base_id}_{critical.item}"
                label = _("Which imported item is %(instrument)s item %(number)s?") % {
                    "instrument": base.short_name,
                    "number": scored.index(critical.item) + 1
                    if critical.item in scored
                    else critical.item,
                }
                if candidates and candidates_for == base_id:
                    self.fields[name] = forms.ChoiceField(
                        label=label,
                        required=False,
                        choices=[("", "—")]
                        + [(link, f"{link} — {text[:80]}") for link, text in candidates],
                    )
                else:
                    self.fields[name] = forms.CharField(
                        label=label,
                        required=False,
                        max_length=255,
                        help_text=_(
                            "Only if the import asks: the linkId of the imported item that asks "
                            "this safety question."
                        ),
                    )
                self.map_fields.setdefault(base_id, {})[critical.item] = name

    def critical_map(self) -> dict[str, str]:
        """{base item id: imported linkId} for the chosen base, as the admin filled it in."""
        fields = self.map_fields.get(self.cleaned_data.get("base") or "", {})
        chosen = {
            item: str(self.cleaned_data.get(name) or "").strip() for item, name in fields.items()
        }
        return {item: link for item, link in chosen.items() if link}
