from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.directory.models import Jurisdiction


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
