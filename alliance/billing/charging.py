"""What an appointment owes, settled from its state: one function for every path.

`settle_appointment` is called by the schedule's events (lifecycle.py) and by the daily
reconcile job (tasks.py), as often as they like: it reads the appointment as it now is and
makes its live charge match, so a handler lost with a dying worker is caught up and a second
delivery changes nothing. The database's one-live-charge-per-appointment constraint is the
last word against a double charge.

- attended: the session's fee (intake for the partnership's first attended session, else
  the individual session by length under the CPT time rule, or the partnership's own
  service); with the therapist's own fee and the client's approved sliding scale;
- missed (no-show): the policy's no-show fee;
- cancelled by the client inside the policy's window: the late-cancellation fee. Never
  when the therapist cancelled, when the partnership ended (a switch, an ending: the
  schedule cancels those as not late), or when the client moved the appointment (the new
  time is billed when it is attended);
- anything else owes nothing. Messages and check-ins are not appointments and owe nothing.

A fee of zero charges nothing: a practice that has set no fees bills nobody.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.billing import fees, invoicing
from alliance.billing.errors import BillingError
from alliance.billing.models import (
    Charge,
    PartnershipService,
    PracticeBilling,
    ServiceType,
    SlidingScaleTier,
)
from alliance.core.zones import zone_of
from alliance.schedule.models import Appointment

# How far back the reconcile job looks for appointments left without their charge.
RECONCILE_DAYS = 3


@dataclass(frozen=True)
class Owed:
    kind: str
    amount_minor: int
    currency: str
    service: ServiceType | None = None
    tier: SlidingScaleTier | None = None


def _session_service(appointment: Appointment) -> ServiceType | None:
    chosen = (
        PartnershipService.objects.filter(partnership_id=appointment.partnership_id)
        .select_related("service")
        .first()
    )
    if chosen is not None:
        return chosen.service
    earlier = Appointment.objects.filter(
        partnership_id=appointment.partnership_id,
        status=Appointment.Status.ATTENDED,
        starts_at__lt=appointment.starts_at,
    ).exists()
    if not earlier:
        intake = ServiceType.objects.filter(kind=ServiceType.Kind.INTAKE, active=True).first()
        if intake is not None and intake.default_fee_minor > 0:
            return intake
    return fees.session_service(appointment.duration_minutes)


def late_by_policy(appointment: Appointment, policy: PracticeBilling) -> bool:
    """A client's own cancellation inside the window, that was not a move to a new time."""
    if not (
        appointment.is_cancelled
        and appointment.late_cancellation
        and appointment.cancelled_by_id == appointment.client_id
        and appointment.cancelled_at is not None
    ):
        return False
    window = dt.timedelta(hours=policy.late_cancel_window_hours)
    if appointment.cancelled_at < appointment.starts_at - window:
        return False
    return not Appointment.objects.filter(rescheduled_from=appointment).exists()


def owed_by(appointment: Appointment) -> Owed | None:
    policy = fees.practice()
    if appointment.status == Appointment.Status.ATTENDED:
        service = _session_service(appointment)
        if service is None:
            return None
        fee = fees.fee_for(
            service=service, therapist_id=appointment.therapist_id, client_id=appointment.client_id
        )
        if fee.amount_minor <= 0:
            return None
        return Owed(Charge.Kind.SESSION, fee.amount_minor, fee.currency, service, fee.tier)
    if appointment.status == Appointment.Status.NO_SHOW and policy.no_show_fee_minor > 0:
        return Owed(Charge.Kind.NO_SHOW, policy.no_show_fee_minor, policy.currency)
    if late_by_policy(appointment, policy) and policy.late_cancel_fee_minor > 0:
        return Owed(Charge.Kind.LATE_CANCELLATION, policy.late_cancel_fee_minor, policy.currency)
    return None


def _replace(charge: Charge, now: dt.datetime) -> None:
    """The appointment now owes something else (attendance corrected): the old charge goes,
    by a credit note when it was invoiced."""
    if charge.status == Charge.Status.OPEN:
        charge.status = Charge.Status.VOIDED
        charge.save(update_fields=["status"])
        return
    line = charge.lines.filter(credit=False).select_related("invoice").first()
    if line is not None:
        invoicing.issue_credit_note(
            invoice=line.invoice,
            charges=[charge],
            reason=_("Attendance corrected"),
            by=None,
            then=Charge.Status.VOIDED,
            now=now,
        )


@transaction.atomic
def settle_appointment(*, appointment_id: int, now: dt.datetime | None = None) -> Charge | None:
    """Make the appointment's live charge what it owes now; returns that charge, if any."""
    now = now or timezone.now()
    appointment = (
        Appointment.objects.select_for_update().select_related("client").get(pk=appointment_id)
    )
    owed = owed_by(appointment)
    live = Charge.objects.filter(appointment=appointment).exclude(status=Charge.Status.VOIDED)
    current = live.first()
    if current is not None:
        # Settled already, or waived by the therapist: a waiver is never undone by a re-run.
        if current.status == Charge.Status.WAIVED or (owed and owed.kind == current.kind):
            return current
        try:
            _replace(current, now)
        except BillingError:
            return current  # paid already: the practice corrects it by hand
    if owed is None:
        return None
    try:
        with transaction.atomic():
            charge = Charge.objects.create(
                appointment=appointment,
                client_id=appointment.client_id,
                therapist_id=appointment.therapist_id,
                kind=owed.kind,
                service=owed.service,
                tier=owed.tier,
                amount_minor=owed.amount_minor,
                currency=owed.currency,
                service_date=appointment.starts_at.astimezone(zone_of(appointment.client)).date(),
            )
    except IntegrityError:
        return live.first()  # charged at this moment by another run
    if fees.practice().invoice_mode == PracticeBilling.InvoiceMode.PER_SESSION:
        invoicing.issue_invoice(charges=[charge], now=now)
        charge.refresh_from_db()
    return charge


def appointments_to_settle(now: dt.datetime) -> list[int]:
    """Appointments of the last few days that owe something and have no charge yet."""
    since = now - dt.timedelta(days=RECONCILE_DAYS)
    charged = Charge.objects.exclude(status=Charge.Status.VOIDED).values("appointment_id")
    candidates = (
        Appointment.objects.filter(starts_at__gte=since, starts_at__lte=now)
        .exclude(pk__in=charged)
        .exclude(status=Appointment.Status.SCHEDULED)
        .exclude(status=Appointment.Status.CANCELLED, late_cancellation=False)
        .exclude(status=Appointment.Status.ATTENDED, finished_at__isnull=True)
    )
    return list(candidates.values_list("pk", flat=True))


def reconcile(*, now: dt.datetime | None = None) -> int:
    """Settle every appointment left without its charge; returns how many were charged."""
    now = now or timezone.now()
    return sum(
        settle_appointment(appointment_id=pk, now=now) is not None
        for pk in appointments_to_settle(now)
    )


@transaction.atomic
def waive_charge(*, charge: Charge, by: User, reason: str = "") -> Charge:
    """The therapist waives a late-cancellation or no-show fee of their own client: dropped
    if not yet invoiced, else credited by a credit note (refused once it has been paid)."""
    locked = Charge.objects.select_for_update().get(pk=charge.pk)
    if by.pk != locked.therapist_id:
        raise BillingError(_("Only the therapist of that appointment can waive its fee."))
    if locked.kind == Charge.Kind.SESSION:
        raise BillingError(_("Only a late-cancellation or missed-session fee can be waived."))
    if locked.status in (Charge.Status.WAIVED, Charge.Status.VOIDED):
        raise BillingError(_("This fee has already been waived."))
    reason = reason.strip()[:200] or _("Waived by the therapist")
    if locked.status == Charge.Status.INVOICED:
        line = locked.lines.filter(credit=False).select_related("invoice").get()
        invoicing.issue_credit_note(invoice=line.invoice, charges=[locked], reason=reason, by=by)
    locked.status = Charge.Status.WAIVED
    locked.waived_at = timezone.now()
    locked.waived_by = by
    locked.waiver_reason = reason
    locked.save(update_fields=["status", "waived_at", "waived_by", "waiver_reason"])
    return locked
