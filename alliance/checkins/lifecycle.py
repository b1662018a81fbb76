"""How check-ins and alerts answer the partnership lifecycle (care/lifecycle.py).

Safety alerts belong to the client, not to a partnership: they are never closed or orphaned
by an ending. When a partnership ends with one open, the on-call clinician is told that the
therapist is no longer there and the alert stays with them until a risk assessment closes
it. When the client starts with a new therapist, that therapist is told that an open safety
alert exists and who holds it — the minimum necessary, whatever the client chose about
handing over their history (45 CFR 164.502(b); docs/alerts.md, "After a switch") — and the
notice stays on the client's page until the alert is closed (`SafetyHandoff`).

The "needs attention" card is about the work of one partnership and closes with it: it stays
in its record, and the former therapist, who no longer sees the partnership, is not asked
to act on it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from alliance.accounts.models import User
from alliance.care.lifecycle import (
    EndingPlanned,
    FollowUpDue,
    IntakeScreenPositive,
    PartnershipEnded,
    PartnershipStarted,
)
from alliance.care.models import Partnership
from alliance.checkins import attention, safety, services
from alliance.checkins.models import Alert, AlertEvent, SafetyHandoff
from alliance.checkins.queries import open_safety_alerts_of
from alliance.checkins.safety import on_call_clinicians
from alliance.core import mail
from alliance.schedule.events import AttendanceChanged, SessionFinished


def _open_safety_alerts(client_id: int) -> list[Alert]:
    return list(open_safety_alerts_of(client_id).order_by("created_at"))


def tell_on_call_the_therapist_has_gone(event: PartnershipEnded) -> None:
    alerts = _open_safety_alerts(event.client_id)
    if not alerts:
        return
    now = timezone.now()
    for alert in alerts:
        AlertEvent.objects.create(
            alert=alert,
            action=AlertEvent.Action.NOTE,
            note=f"partnership ended ({event.reason}); the alert stays with the on-call rota",
            created_at=now,
        )
    links = [mail.link("checkins:alert_detail", a.pk) for a in alerts]

    def notify() -> None:
        for clinician in on_call_clinicians()[:1]:
            for link in links:
                mail.send(
                    clinician,
                    subject=gettext_noop("A client with an open safety alert has no therapist"),
                    template="checkins/email/safety_without_therapist.txt",
                    context={"link": link},
                )

    transaction.on_commit(notify)


def tell_the_new_therapist(event: PartnershipStarted) -> None:
    alerts = _open_safety_alerts(event.client_id)
    if not alerts:
        return
    now = timezone.now()
    for alert in alerts:
        SafetyHandoff.objects.get_or_create(
            alert=alert, partnership_id=event.partnership_id, defaults={"told_at": now}
        )
        AlertEvent.objects.create(
            alert=alert,
            action=AlertEvent.Action.NOTIFIED,
            note="the new therapist was told that this alert is open",
            created_at=now,
        )
    therapist = User.objects.get(pk=event.therapist_id)
    link = mail.link("care:partnership_detail", event.partnership_id)
    transaction.on_commit(
        lambda: mail.send(
            therapist,
            subject=gettext_noop("Your new client has an open safety alert"),
            template="checkins/email/safety_handoff.txt",
            context={"link": link},
        )
    )


# --- what the schedule and care's endings ask of check-ins --------------------------------


def _partnership(pk: int) -> Partnership:
    return Partnership.objects.select_related("client", "therapist").get(pk=pk)


def ask_about_the_session(event: SessionFinished) -> None:
    services.request_checkin(
        partnership=_partnership(event.partnership_id), appointment_id=event.appointment_id
    )


def ask_for_final_measures(event: EndingPlanned) -> None:
    services.request_checkin(partnership=_partnership(event.partnership_id), appointment_id=None)


def ask_for_the_follow_up(event: FollowUpDue) -> None:
    services.request_follow_up(partnership=_partnership(event.partnership_id))


def look_again(event: AttendanceChanged) -> None:
    services.request_alert_evaluation(partnership_id=event.partnership_id)


def raise_the_intake_alert(event: IntakeScreenPositive) -> None:
    safety.raise_safety_alert(
        client=User.objects.get(pk=event.client_id),
        partnership=None,
        source="intake_screen",
        evidence={
            "intake_id": event.intake_id,
            "positive_answers": list(event.positive_answers),
            "acute": event.acute,
        },
    )


def end_the_partnerships_monitoring(event: PartnershipEnded) -> None:
    """The card ends with the partnership (its risk row goes); open safety alerts stay."""
    attention.close_on_end(event.partnership_id, event.reason, timezone.now())
    tell_on_call_the_therapist_has_gone(event)


HANDLERS = {
    IntakeScreenPositive: raise_the_intake_alert,
    PartnershipEnded: end_the_partnerships_monitoring,
    PartnershipStarted: tell_the_new_therapist,
    SessionFinished: ask_about_the_session,
    EndingPlanned: ask_for_final_measures,
    FollowUpDue: ask_for_the_follow_up,
    AttendanceChanged: look_again,
}
