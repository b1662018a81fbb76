"""Intake: what a client is looking for, and a safety screen before any matching.

The safety questions follow the structure of the ASQ (Ask Suicide-Screening Questions, NIMH;
free to use): four yes/no questions and an acuity question, in our own plain
words. A "yes" to any of them is a positive screen: the crisis resources are shown at once,
before any matching, and a safety alert is raised for the on-call clinician.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from alliance.accounts.models import User
from alliance.care import lifecycle
from alliance.care.models import Intake
from alliance.core.weekdays import WEEKDAYS
from alliance.core.zones import zone_choices
from alliance.directory.models import Jurisdiction, Modality

SCREEN_QUESTIONS: list[tuple[str, Any]] = [
    ("wished_dead", _("In the last few weeks, have you wished you were not alive?")),
    (
        "better_off",
        _("In the last few weeks, have you felt that others would be better off without you?"),
    ),
    ("thoughts", _("In the last week, have you had thoughts about ending your life?")),
    ("attempt", _("Have you ever tried to end your life?")),
    ("now", _("Are you thinking about ending your life right now?")),
]

CONCERN_LABELS = {
    "depression": _("Low mood"),
    "anxiety": _("Anxiety or worry"),
    "trauma": _("Something traumatic that happened"),
    "relationships": _("Relationships"),
    "grief": _("Grief and loss"),
    "substance_use": _("Alcohol or drug use"),
    "eating": _("Eating"),
    "sleep": _("Sleep"),
    "work_stress": _("Work stress"),
    "identity": _("Identity"),
    "anger": _("Anger"),
    "psychosis_spectrum": _("Unusual experiences, such as hearing voices"),
}

LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("pt", "Português"),
    ("zh", "中文"),
    ("ar", "العربية"),
    ("vi", "Tiếng Việt"),
    ("ko", "한국어"),
    ("ru", "Русский"),
]
GENDERS = [("woman", _("A woman")), ("man", _("A man")), ("non-binary", _("Non-binary"))]
AGE_RANGES = {
    "under_40": (0, 39),
    "40_55": (40, 55),
    "over_55": (56, 120),
}
AGE_CHOICES = [
    ("under_40", _("Under 40")),
    ("40_55", _("40 to 55")),
    ("over_55", _("Over 55")),
]
CULTURES = [
    ("black", _("Black")),
    ("latin", _("Latin American or Hispanic")),
    ("east_asian", _("East Asian")),
    ("south_asian", _("South Asian")),
    ("middle_eastern", _("Middle Eastern or North African")),
    ("indigenous", _("Indigenous")),
    ("jewish", _("Jewish")),
    ("white", _("White")),
]
APPROACHES = [
    ("cbt", _("Practical exercises for thoughts and habits (CBT)")),
    ("act", _("Acceptance and values (ACT)")),
    ("psychodynamic", _("Understanding patterns from the past (psychodynamic)")),
    ("person_centred", _("Being listened to, at your own pace (person-centred)")),
    ("emdr", _("EMDR for traumatic memories")),
    ("dbt", _("Skills for strong emotions (DBT)")),
    ("systemic", _("Looking at family and relationships (systemic)")),
    ("compassion_focused", _("Self-compassion (compassion-focused)")),
]
STYLE_CHOICES = [
    ("directive", _("Directive: gives structure and suggestions")),
    ("exploratory", _("Exploratory: follows where you want to go")),
]
PARTS_OF_DAY = {"morning": (8, 12), "afternoon": (12, 17), "evening": (17, 21)}
PART_CHOICES = [
    ("morning", _("Mornings (8–12)")),
    ("afternoon", _("Afternoons (12–17)")),
    ("evening", _("Evenings (17–21)")),
]
YES_NO = [("no", _("No")), ("yes", _("Yes"))]
PREFERENCE_FIELDS = [
    "gender",
    "age",
    "faith_informed",
    "lgbtq_affirming",
    "culture",
    "approach",
    "style",
]
TEXT_MAX = 4000


def _must(label: Any) -> forms.BooleanField:
    return forms.BooleanField(
        label=label, required=False, help_text=_("Leave unticked for nice-to-have.")
    )


class IntakeForm(forms.Form):
    """The web page and the JSON API validate intake answers with this one form."""

    concerns = forms.MultipleChoiceField(
        label=_("What would you like help with?"),
        choices=list(CONCERN_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    change_wanted = forms.CharField(
        label=_("What would you like to be different? (optional)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you can have therapy in"),
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    modality = forms.ChoiceField(
        label=_("How would you like to meet?"), choices=Modality.choices, widget=forms.RadioSelect
    )
    jurisdiction = forms.ModelChoiceField(
        label=_("Where you will be during sessions"),
        queryset=Jurisdiction.objects.order_by("name"),
        to_field_name="code",
        help_text=_("Therapists must be licensed where you are."),
    )
    timezone = forms.ChoiceField(label=_("Your time zone"), choices=zone_choices)
    days = forms.TypedMultipleChoiceField(
        label=_("Days that suit you (none ticked: any day)"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    times = forms.MultipleChoiceField(
        label=_("Times that suit you (none ticked: any time)"),
        choices=PART_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    budget = forms.DecimalField(
        label=_("Most you can pay per appointment (optional)"),
        required=False,
        min_value=Decimal(0),
        max_digits=7,
        decimal_places=2,
    )
    insurer = forms.CharField(label=_("Your insurer (optional)"), required=False, max_length=80)
    gender = forms.MultipleChoiceField(
        label=_("Therapist gender"),
        choices=GENDERS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    gender_must = _must(_("Therapist gender is a must-have"))
    age = forms.ChoiceField(
        label=_("Therapist age"), choices=[("", _("No preference")), *AGE_CHOICES], required=False
    )
    age_must = _must(_("Therapist age is a must-have"))
    faith_informed = forms.BooleanField(label=_("Faith-informed therapist"), required=False)
    faith_informed_must = _must(_("Faith-informed is a must-have"))
    lgbtq_affirming = forms.BooleanField(label=_("LGBTQ+-affirming therapist"), required=False)
    lgbtq_affirming_must = _must(_("LGBTQ+-affirming is a must-have"))
    culture = forms.MultipleChoiceField(
        label=_("Therapist cultural background"),
        choices=CULTURES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    culture_must = _must(_("Cultural background is a must-have"))
    approach = forms.MultipleChoiceField(
        label=_("Ways of working you would like"),
        choices=APPROACHES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    approach_must = _must(_("Way of working is a must-have"))
    style = forms.ChoiceField(
        label=_("Style"), choices=[("", _("No preference")), *STYLE_CHOICES], required=False
    )
    style_must = _must(_("Style is a must-have"))
    had_therapy_before = forms.BooleanField(label=_("I have had therapy before"), required=False)
    did_not_work = forms.CharField(
        label=_("What did not work for you before? (optional)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, client: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, question in SCREEN_QUESTIONS:
            self.fields[f"screen_{key}"] = forms.ChoiceField(
                label=question, choices=YES_NO, widget=forms.RadioSelect
            )
        profile = getattr(client, "client_profile", None) if client is not None else None
        if profile is not None and profile.jurisdiction_id:
            self.fields["jurisdiction"].initial = profile.jurisdiction.code
        if client is not None:
            self.fields["timezone"].initial = client.timezone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in PREFERENCE_FIELDS:
            if data.get(f"{name}_must") and not data.get(name):
                self.add_error(
                    f"{name}_must", _("Choose what you would like before marking it a must-have.")
                )
        return data

    def screen_answers(self) -> dict[str, bool]:
        return {key: self.cleaned_data[f"screen_{key}"] == "yes" for key, _q in SCREEN_QUESTIONS}


def preferences_from(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Stated preferences only, as {name: {"value": ..., "must": bool}}."""
    out: dict[str, dict[str, Any]] = {}
    for name in PREFERENCE_FIELDS:
        value = data.get(name)
        if not value:
            continue
        if name == "age":
            value = list(AGE_RANGES[value])
        elif isinstance(value, list | tuple):
            value = sorted(value)
        out[name] = {"value": value, "must": bool(data.get(f"{name}_must"))}
    return out


def preferred_times_from(data: dict[str, Any]) -> list[list[int]]:
    days = sorted(set(data.get("days") or [])) or [d for d, _l in WEEKDAYS]
    parts = data.get("times") or []
    if not data.get("days") and not parts:
        return []  # any time
    spans = [PARTS_OF_DAY[p] for p in parts] or [(8, 21)]
    return [[d, s, e] for d in days for s, e in sorted(spans)]


@transaction.atomic
def save_intake(*, client: User, form: IntakeForm) -> tuple[Intake, bool]:
    """Store a valid intake; on a positive screen, raise the safety alert in this request.

    Returns (intake, alerted): `alerted` is whether staff were told.
    """
    if not client.is_client:
        raise ValueError("only clients fill in an intake")
    data = form.cleaned_data
    screen = form.screen_answers()
    positive = any(screen.values())
    intake = Intake.objects.create(
        client=client,
        concerns=sorted(data["concerns"]),
        change_wanted=data.get("change_wanted", "").strip(),
        preferences=preferences_from(data),
        languages=sorted(data["languages"]),
        modality=data["modality"],
        jurisdiction=data["jurisdiction"],
        timezone=data["timezone"],
        preferred_times=preferred_times_from(data),
        budget=data.get("budget"),
        insurer=(data.get("insurer") or "").strip(),
        had_therapy_before=bool(data.get("had_therapy_before")),
        did_not_work=(data.get("did_not_work") or "").strip(),
        screen={k: bool(v) for k, v in screen.items()},
        screen_positive=positive,
    )
    alerted = False
    if positive:
        alerted = _raise_alert(client, intake, screen)
    return intake, alerted


def _raise_alert(client: User, intake: Intake, screen: dict[str, bool]) -> bool:
    """A positive screen owes a safety alert; check-ins raises it (care/lifecycle.py)."""
    lifecycle.publish(
        lifecycle.IntakeScreenPositive(
            client_id=client.pk,
            intake_id=intake.pk,
            positive_answers=tuple(k for k, v in screen.items() if v),
            acute=bool(screen.get("now")),
        )
    )
    return True
