from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from alliance.directory import portraits
from alliance.directory.models import STATEMENT_MAX_CHARS, Jurisdiction


class LicenceForm(forms.Form):
    jurisdiction = forms.ModelChoiceField(
        label=_("Jurisdiction"), queryset=Jurisdiction.objects.all()
    )
    licence_type = forms.CharField(
        label=_("Licence type"), max_length=60, help_text=_("e.g. LPC, LCSW, Clinical psychologist")
    )
    number = forms.CharField(label=_("Licence number"), max_length=60)
    issuing_board = forms.CharField(label=_("Issuing board"), max_length=160)
    expires_on = forms.DateField(
        label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class TherapistProfileForm(forms.Form):
    """What a therapist writes about themself for clients choosing a therapist."""

    statement = forms.CharField(
        label=_("A few words to clients choosing a therapist"),
        help_text=format_lazy(
            _(
                "Plain text, at most {max} characters: how you work and what a first session "
                "is like."
            ),
            max=STATEMENT_MAX_CHARS,
        ),
        max_length=STATEMENT_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": STATEMENT_MAX_CHARS}),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        help_text=_("JPEG, PNG or WebP, at most 2 MB. Without one, clients see your initials."),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)

    def clean_photo(self) -> bytes | None:
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        try:
            return portraits.prepare_photo(upload, upload.size or 0)
        except portraits.PhotoError as exc:
            raise forms.ValidationError(str(exc)) from None
