from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class QuietHoursForm(forms.Form):
    quiet_start = forms.TimeField(
        label=_("Quiet from"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        label=_("Quiet until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    show_detail = forms.BooleanField(
        label=_("Show what a notification is about on the lock screen"),
        required=False,
        help_text=_(
            "Off: a lock screen shows only “Alliance — You have a new update.” On: it says, for "
            "example, when your appointment is or who sent a message, never what they wrote."
        ),
    )


class PhoneForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile number"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("With its country code, e.g. +1 555 010 9999."),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
