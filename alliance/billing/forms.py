"""The billing pages' forms. Amounts are typed as people write them ("150" or "150.00") and
turned into integer minor units here (money.parse_amount), in the form's currency."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.accounts.models import User
from alliance.billing import money
from alliance.billing.models import Payment, PracticeBilling, ServiceType, SlidingScaleTier
from alliance.care.models import Partnership

AMOUNT_HELP = _("For example 150 or 150.00.")


class MoneyField(forms.CharField):
    """An amount in `currency`, cleaned to minor units; `minimum` in minor units."""

    def __init__(self, *args: Any, minimum: int = 0, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", AMOUNT_HELP)
        super().__init__(*args, **kwargs)
        self.currency = "USD"
        self.minimum = minimum
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        if text.strip().startswith("-"):
            raise forms.ValidationError(_("An amount cannot be negative."))
        try:
            amount = money.parse_amount(text, self.currency)
        except money.MoneyError:
            raise forms.ValidationError(
                _("Enter an amount in %(currency)s, such as 150 or 150.00.")
                % {"currency": self.currency}
            ) from None
        if amount < self.minimum:
            raise forms.ValidationError(_("The amount must be more than zero."))
        if amount > 10**12:
            raise forms.ValidationError(_("That amount is too large."))
        return amount


def _set_currency(form: forms.BaseForm, currency: str) -> None:
    for field in form.fields.values():
        if isinstance(field, MoneyField):
            field.currency = currency


class PracticeForm(forms.ModelForm[PracticeBilling]):
    late_fee = MoneyField(label=_("Late-cancellation fee"), required=False)
    no_show_fee = MoneyField(label=_("Missed-session (no-show) fee"), required=False)

    class Meta:
        model = PracticeBilling
        fields = [
            "practice_name",
            "practice_address",
            "currency",
            "invoice_mode",
            "payment_terms_days",
            "late_cancel_window_hours",
        ]
        labels = {
            "practice_name": _("Practice name (on invoices)"),
            "practice_address": _("Practice address (on invoices)"),
            "currency": _("Currency (ISO code, such as USD or EUR)"),
            "invoice_mode": _("Invoices"),
            "payment_terms_days": _("Days to pay"),
            "late_cancel_window_hours": _("Late-cancellation window (hours before the start)"),
        }
        widgets = {"practice_address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_currency(self, self.instance.currency)
        if not self.is_bound:
            self.initial["late_fee"] = money.major(
                self.instance.late_cancel_fee_minor, self.instance.currency
            )
            self.initial["no_show_fee"] = money.major(
                self.instance.no_show_fee_minor, self.instance.currency
            )

    def clean_currency(self) -> str:
        code = str(self.cleaned_data["currency"]).strip().upper()
        if not money.is_currency_code(code):
            raise forms.ValidationError(_("Give the three-letter ISO code, such as USD."))
        return code

    def clean_late_cancel_window_hours(self) -> int:
        hours = int(self.cleaned_data["late_cancel_window_hours"])
        # The schedule records a late cancellation inside its own window; a fee cannot
        # reach further than what the schedule records.
        if not 1 <= hours <= settings.LATE_CANCELLATION_HOURS:
            raise forms.ValidationError(
                _("Choose between 1 and %(most)d hours (the schedule's late-cancellation window).")
                % {"most": settings.LATE_CANCELLATION_HOURS}
            )
        return hours

    def clean_payment_terms_days(self) -> int:
        days = int(self.cleaned_data["payment_terms_days"])
        if days > 365:
            raise forms.ValidationError(_("Choose at most 365 days."))
        return days

    def save(self, commit: bool = True) -> PracticeBilling:
        practice: PracticeBilling = super().save(commit=False)
        practice.late_cancel_fee_minor = self.cleaned_data["late_fee"] or 0
        practice.no_show_fee_minor = self.cleaned_data["no_show_fee"] or 0
        if commit:
            practice.save()
        return practice


class ServiceForm(forms.ModelForm[ServiceType]):
    fee = MoneyField(label=_("Default fee"))

    class Meta:
        model = ServiceType
        fields = ["code", "name", "kind", "minutes", "is_cpt", "sliding_scale_applies", "active"]
        labels = {
            "code": _("Billing code"),
            "name": _("Name on invoices"),
            "is_cpt": _("A CPT code"),
            "sliding_scale_applies": _("The sliding scale applies"),
        }

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_currency(self, currency)
        self.currency = currency
        if not self.is_bound and self.instance.pk:
            self.initial["fee"] = money.major(self.instance.default_fee_minor, currency)

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).strip().upper()
        if not code or not all(c.isalnum() or c in "-." for c in code):
            raise forms.ValidationError(_("Use letters, digits, '-' or '.'."))
        return code

    def save(self, commit: bool = True) -> ServiceType:
        service: ServiceType = super().save(commit=False)
        service.default_fee_minor = self.cleaned_data["fee"] or 0
        service.currency = self.currency
        if commit:
            service.save()
        return service


class OverrideForm(forms.Form):
    therapist = forms.ModelChoiceField(
        queryset=User.objects.filter(role=User.Role.THERAPIST, is_active=True).order_by(
            "display_name"
        ),
        label=_("Therapist"),
    )
    service = forms.ModelChoiceField(queryset=ServiceType.objects.all(), label=_("Service"))
    fee = MoneyField(
        label=_("Their fee"), required=False, help_text=_("Leave empty to use the default.")
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_currency(self, currency)


class _PartnershipChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.client.name} · {obj.therapist.name}"


class PartnershipServiceForm(forms.Form):
    partnership = _PartnershipChoice(
        queryset=Partnership.objects.filter(status=Partnership.Status.ACTIVE)
        .select_related("client", "therapist")
        .order_by("client__display_name"),
        label=_("Partnership"),
    )
    service = forms.ModelChoiceField(
        queryset=ServiceType.objects.filter(active=True),
        label=_("Bill its sessions as"),
        required=False,
        empty_label=_("Chosen by the session's length"),
    )


class TierForm(forms.ModelForm[SlidingScaleTier]):
    max_income = MoneyField(
        label=_("Yearly income up to"),
        required=False,
        help_text=_("Leave empty for no upper limit."),
    )

    class Meta:
        model = SlidingScaleTier
        fields = ["name", "percent"]
        labels = {"percent": _("Share of the fee paid (percent)")}

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_currency(self, currency)

    def clean_percent(self) -> int:
        percent = int(self.cleaned_data["percent"])
        if not 1 <= percent <= 100:
            raise forms.ValidationError(_("Choose between 1 and 100 percent."))
        return percent

    def save(self, commit: bool = True) -> SlidingScaleTier:
        tier: SlidingScaleTier = super().save(commit=False)
        tier.max_income_minor = self.cleaned_data["max_income"]
        if commit:
            tier.save()
        return tier


class ApplicationForm(forms.Form):
    tier = forms.ModelChoiceField(
        queryset=SlidingScaleTier.objects.filter(active=True),
        label=_("The tier that fits your income"),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    income = MoneyField(
        label=_("Your yearly household income (optional)"),
        required=False,
        help_text=_("Only the practice's admin sees this."),
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_currency(self, currency)


class PaymentForm(forms.Form):
    amount = MoneyField(label=_("Amount received"), minimum=1)
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3)
    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=[(m.value, m.label) for m in Payment.Method if m != Payment.Method.CARD],
    )
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(
        label=_("Reference (optional)"),
        max_length=120,
        required=False,
        help_text=_("A bank transfer's reference or a receipt number; nothing clinical."),
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_currency(self, currency)
        self.fields["currency"].initial = currency
        self.fields["received_on"].initial = timezone.localdate()

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).strip().upper()

    def clean_received_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be received in the future."))
        return day


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The end comes before the start."))
        if start and end and (end - start).days > 366 * 7:
            raise forms.ValidationError(_("Choose at most seven years."))
        return data
