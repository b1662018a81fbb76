"""Superbills: what a client gives their insurer to be reimbursed out of network.

A superbill lists, for a period, each session billed to the client (late-cancellation and
missed-session fees are not services and are left out) with its CPT code, the place of
service and modifier of a telehealth visit, the date, the fee and what was paid; the
practice (billing provider) and each therapist (rendering provider) with their NPI and
tax id; and the client's diagnosis, the ICD-10-CM code their therapist entered.

Place of service 10 is "Telehealth provided in patient's home" (CMS POS code set, 2022):
sessions here are held online with the client at home. Modifier 95 marks a synchronous
audio-video telemedicine service (CPT Appendix P); an audio-only session takes 93.

Only the client asks for one (`request_superbill`), and only they open it; an admin who
opens one is recorded in the audit log. It is the only document with a diagnosis on it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing import diagnoses, fees, superbill_identifiers
from alliance.billing.errors import BillingError
from alliance.billing.models import Charge, InvoiceLine, Payment, Refund
from alliance.billing.superbill_models import Superbill
from alliance.core.pdf import render
from alliance.privacy import audit

PLACE_OF_SERVICE = "10"
MODIFIER_VIDEO = "95"
MODIFIER_AUDIO = "93"


@dataclass(frozen=True)
class Provider:
    name: str
    npi: str
    tax_id: str
    licence: str


@dataclass(frozen=True)
class ServiceLine:
    date: dt.date
    code: str
    place: str
    modifier: str
    description: str
    fee_minor: int
    provider: str
    npi: str


@dataclass(frozen=True)
class SuperbillData:
    superbill: Superbill
    client_name: str
    date_of_birth: dt.date | None
    practice: Provider
    practice_address: str
    providers: list[Provider]
    diagnoses: list[tuple[str, str]]
    lines: list[ServiceLine]
    currency: str
    total_fees_minor: int
    total_paid_minor: int

    @property
    def balance_minor(self) -> int:
        return self.total_fees_minor - self.total_paid_minor


def request_superbill(*, client: User, start: dt.date, end: dt.date) -> Superbill:
    """The client's own request for a superbill of a period."""
    if client.role != User.Role.CLIENT:
        raise BillingError(_("Only a client asks for their own superbill."))
    if end < start:
        raise BillingError(_("The end comes before the start."))
    if end > timezone.localdate():
        raise BillingError(_("A superbill covers sessions that have happened; end it today."))
    return Superbill.objects.create(client=client, period_start=start, period_end=end)


def _lines(superbill: Superbill) -> list[InvoiceLine]:
    credited = InvoiceLine.objects.filter(credit=True).values("charge_id")
    return list(
        InvoiceLine.objects.filter(
            invoice__client_id=superbill.client_id,
            credit=False,
            charge__kind=Charge.Kind.SESSION,
            service_date__gte=superbill.period_start,
            service_date__lte=superbill.period_end,
        )
        .exclude(charge_id__in=credited)
        .select_related("invoice", "charge__appointment", "charge__therapist")
        .order_by("service_date", "id")
    )


def _paid(lines: list[InvoiceLine]) -> int:
    """What was paid towards these lines: each invoice's payments less refunds, up to the
    listed lines' share of it."""
    listed: dict[int, int] = defaultdict(int)
    for line in lines:
        listed[line.invoice_id] += line.amount_minor
    ids = list(listed)
    paid = dict(
        Payment.objects.filter(invoice_id__in=ids, status=Payment.Status.SUCCEEDED)
        .values("invoice_id")
        .annotate(t=Sum("amount_minor"))
        .values_list("invoice_id", "t")
    )
    refunded = dict(
        Refund.objects.filter(payment__invoice_id__in=ids, status=Refund.Status.SUCCEEDED)
        .values("payment__invoice_id")
        .annotate(t=Sum("amount_minor"))
        .values_list("payment__invoice_id", "t")
    )
    return sum(
        max(0, min(amount, int(paid.get(i) or 0) - int(refunded.get(i) or 0)))
        for i, amount in listed.items()
    )


def _providers(lines: list[InvoiceLine]) -> tuple[Provider, list[Provider]]:
    from alliance.directory.models import Licence

    therapists = {line.charge.therapist_id: line.charge.therapist for line in lines}
    ids = superbill_identifiers.identifiers_of(list(therapists))
    licences = {
        lic.therapist_id: f"{lic.licence_type} {lic.number}"
        for lic in Licence.objects.filter(therapist_id__in=list(therapists)).order_by("id")
    }
    practice = fees.practice()
    own = ids.get(None)
    billing = Provider(
        practice.practice_name or "Alliance", own.npi if own else "", own.tax_id if own else "", ""
    )
    rendering = [
        Provider(
            user.display_name,
            ids[pk].npi if pk in ids else "",
            ids[pk].tax_id if pk in ids else "",
            licences.get(pk, ""),
        )
        for pk, user in therapists.items()
    ]
    return billing, rendering


def superbill_data(superbill: Superbill) -> SuperbillData:
    lines = _lines(superbill)
    billing, rendering = _providers(lines)
    npi_of = {p.name: p.npi for p in rendering}
    partnership_ids = sorted({line.charge.appointment.partnership_id for line in lines})
    found = diagnoses.current(partnership_ids, superbill.period_end)
    client = superbill.client
    profile = getattr(client, "client_profile", None)
    return SuperbillData(
        superbill=superbill,
        client_name=client.display_name,
        date_of_birth=profile.date_of_birth if profile else None,
        practice=billing,
        practice_address=fees.practice().practice_address,
        providers=rendering,
        diagnoses=sorted({(str(d.code), str(d.description)) for d in found.values()}),
        lines=[
            ServiceLine(
                date=line.service_date,
                code=line.code,
                place=PLACE_OF_SERVICE,
                modifier=MODIFIER_AUDIO
                if line.charge.appointment.modality == "audio"
                else MODIFIER_VIDEO,
                description=line.description,
                fee_minor=line.amount_minor,
                provider=line.charge.therapist.display_name,
                npi=npi_of.get(line.charge.therapist.display_name, ""),
            )
            for line in lines
        ],
        currency=lines[0].invoice.currency if lines else fees.practice().currency,
        total_fees_minor=sum(line.amount_minor for line in lines),
        total_paid_minor=_paid(lines),
    )


def superbill_pdf(*, superbill: Superbill, reader: User) -> bytes:
    """The PDF, for the client who asked for it or (recorded in the audit log) an admin."""
    if reader.pk == superbill.client_id:
        pass
    elif reader.role == User.Role.ADMIN:
        audit.record_opening(reader, superbill, refresh=False, reason="superbill")
    else:
        raise BillingError(_("Only the client who asked for a superbill opens it."))
    data = superbill_data(superbill)
    return render(
        "billing/superbill_pdf.html",
        {"bill": data},
        language=superbill.client.preferred_language or "en",
    )
