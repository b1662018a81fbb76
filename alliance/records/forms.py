"""The forms of records' pages; the services check the rules, these only read the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.records.documents import BODY_MAX_CHARS, TITLE_MAX_CHARS
from alliance.records.models import Document


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Document.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_CHARS)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=BODY_MAX_CHARS,
        help_text=_("Plain text; a blank line starts a new paragraph."),
    )
    required_before_booking = forms.BooleanField(
        label=_("Clients sign it before they can book"), required=False
    )


class VersionForm(forms.Form):
    body = forms.CharField(
        label=_("New text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=BODY_MAX_CHARS,
        help_text=_("Publishing asks every client to sign the new version."),
    )


class SettingsForm(forms.Form):
    required_before_booking = forms.BooleanField(
        label=_("Clients sign it before they can book"), required=False
    )
    active = forms.BooleanField(label=_("Offered to clients"), required=False)


class SignForm(forms.Form):
    typed_name = forms.CharField(label=_("Type your full name"), max_length=200)
    agreed = forms.BooleanField(required=False)
    electronic = forms.BooleanField(required=False)
    shown = forms.CharField(widget=forms.HiddenInput, max_length=64)


class ReleaseForm(SignForm):
    recipient = forms.CharField(
        label=_("Who may receive your record"),
        max_length=300,
        help_text=_("A person or organisation, with how to reach them."),
    )
    purpose = forms.CharField(label=_("What it is for"), max_length=500)
    expires_on = forms.DateField(
        label=_("This release ends on"), widget=forms.DateInput(attrs={"type": "date"})
    )
