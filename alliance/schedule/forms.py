from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.core.weekdays import WEEKDAYS
from alliance.schedule.models import Appointment, AvailabilityException
from alliance.schedule.note_templates import NoteFormat


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
    """The note editor for one format: its key, hidden, and a box for each of its fields
    only (a format's fields are its own: DAP shows data, assessment and plan)."""

    template = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: object, fmt: NoteFormat, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fmt = fmt
        self.fields["template"].initial = fmt.key
        rows = 10 if len(fmt.fields) == 1 else 4
        for field in fmt.fields:
            self.fields[field.key] = forms.CharField(
                label=field.label,
                help_text=field.prompt,
                required=False,  # the service says when the whole note is empty
                widget=forms.Textarea(attrs={"rows": rows}),
            )

    def sections(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {key: data.get(key, "") for key in self.fmt.field_keys}


class NoteFormatForm(forms.Form):
    """The format chooser: a plain GET form, so choosing works without any script."""

    template = forms.ChoiceField(label=_("Format"))

    def __init__(self, *args: object, formats: list[NoteFormat], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["template"].choices = [(f.key, f.name) for f in formats]  # type: ignore[attr-defined]


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Addendum"),
        help_text=_(
            "Added under the signed note with the time and your name; the note stays as signed."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NoteTemplateForm(forms.Form):
    name = forms.CharField(label=_("Name of the format"), max_length=200)
    labels = forms.CharField(
        label=_("Sections"),
        help_text=_("One section a line, in the order the note shows them."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def _therapists() -> QuerySet[User]:
    return User.objects.filter(role=User.Role.THERAPIST, is_active=True).order_by(
        "display_name", "id"
    )


class SupervisionForm(forms.Form):
    clinician = forms.ModelChoiceField(
        label=_("Pre-licensed clinician"), queryset=User.objects.none()
    )
    supervisor = forms.ModelChoiceField(
        label=_("Supervisor who co-signs"), queryset=User.objects.none()
    )

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name in ("clinician", "supervisor"):
            field = self.fields[name]
            field.queryset = _therapists()  # type: ignore[attr-defined]
            field.label_from_instance = lambda user: user.name  # type: ignore[attr-defined]


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
