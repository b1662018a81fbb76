from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.accounts.models import User, age_on, minimum_age
from alliance.core.zones import zone_choices
from alliance.directory.models import Jurisdiction


class SignUpForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your first name or a name you like to be called"), max_length=120
    )
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password."),
        max_length=256,
    )

    DUPLICATE_EMAIL = _(
        "An account with this e-mail address already exists. Log in or reset your password."
    )

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(self.DUPLICATE_EMAIL)
        return email

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today or born.year < 1900:
            raise forms.ValidationError(_("Please enter a real date of birth."))
        return born

    def is_minor(self) -> bool:
        born = self.cleaned_data.get("date_of_birth")
        return born is not None and age_on(born, timezone.localdate()) < minimum_age()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            probe = User(email=data.get("email", ""), display_name=data.get("display_name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=256,
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ProfileForm(forms.Form):
    jurisdiction = forms.ModelChoiceField(
        label=_("Where you usually live"),
        queryset=Jurisdiction.objects.all(),
        help_text=_("Therapists must be licensed where you are."),
    )
    timezone = forms.ChoiceField(label=_("Your time zone"), choices=zone_choices)
    emergency_contact_name = forms.CharField(label=_("Emergency contact: name"), max_length=120)
    emergency_contact_phone = forms.RegexField(
        label=_("Emergency contact: phone"),
        max_length=40,
        regex=r"^\+?[0-9 ()\-.]{6,40}$",
        error_messages={
            "invalid": _("Enter a phone number using digits, spaces and + ( ) - only.")
        },
    )
    emergency_contact_relationship = forms.CharField(
        label=_("Relationship to you"), max_length=60, required=False
    )


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I have read and agree to this consent."),
        error_messages={
            "required": _(
                "Please tick the box to give your consent, or contact the practice with questions."
            )
        },
    )


class InviteTherapistForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=120)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("Someone already has an account with this e-mail address.")
            )
        return email
