from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.care.models import Partnership
from alliance.core.weekdays import WEEKDAYS
from alliance.schedule.models import Appointment, AvailabilityException, ProgressNote


class BookForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Time"), widget=forms.HiddenInput, input_formats=["%Y-%m-%dT%H:%M:%S%z"]
    )
    modality = forms.ChoiceField(label=_("How would you like to meet?"))

    def __init__(self, *args: object, modalities: list[str] | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [
            (value, label)
            for value, label in Appointment.Modality.choices
            if not modalities or value in modalities
        ]
        self.fields["modality"].choices = choices  # type: ignore[attr-defined]


class WindowForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), choices=WEEKDAYS, coerce=int)
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}))


class ExceptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("On that date"), choices=AvailabilityException.Kind.choices)
    start = forms.TimeField(
        label=_("From (leave empty for the whole day)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    end = forms.TimeField(
        label=_("To"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )


class TimeOffForm(forms.Form):
    first_day = forms.DateField(
        label=_("First day away"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        label=_("Last day away"), widget=forms.DateInput(attrs={"type": "date"})
    )
    label = forms.CharField(label=_("Label (optional)"), max_length=120, required=False)


class AttendanceForm(forms.Form):
    status = forms.ChoiceField(
        label=_("What happened?"),
        choices=[
            (Appointment.Status.ATTENDED.value, _("Attended")),
            (Appointment.Status.NO_SHOW.value, _("Missed")),
        ],
        widget=forms.RadioSelect,
    )
    late_minutes = forms.IntegerField(
        label=_("Minutes late"), min_value=0, max_value=600, initial=0, required=False
    )


class NoteForm(forms.Form):
    template = forms.ChoiceField(label=_("Format"), choices=ProgressNote.Template.choices)
    text = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    subjective = forms.CharField(
        label=_("Subjective"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    objective = forms.CharField(
        label=_("Objective"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    assessment = forms.CharField(
        label=_("Assessment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    plan = forms.CharField(
        label=_("Plan"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PlanEndingForm(forms.Form):
    last_day = forms.DateField(
        label=_("Planned last day"), widget=forms.DateInput(attrs={"type": "date"})
    )


class EndForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"))

    def __init__(self, *args: object, reasons: list[str], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        labels = dict(Partnership.EndReason.choices)
        self.fields["reason"].choices = [(r, labels[r]) for r in reasons]  # type: ignore[attr-defined]


def parse_instant(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else None
