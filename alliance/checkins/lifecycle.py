"""How check-ins and alerts answer the partnership lifecycle (care/lifecycle.py).

Safety alerts belong to the client, not to a partnership: they are never closed or orphaned
by an ending. When a partnership ends with one open, the on-call clinician is told that the
therapist is no longer there and the alert stays with them until a risk assessment closes
it. When the client starts with a new therapist, that therapist is told that an open safety
alert exists and who holds it — the minimum necessary, whatever the client chose about
handing over their history (45 CFR 164.502(b); docs/alerts.md, "After a switch") — and the
notice stays on the client's page until the alert is closed (`SafetyHandoff`).

The other alerts (ruptures, outcomes) are about the work of one partnership and end with it:
they stay in its record, and the former therapist, who no longer sees the partnership, is
not asked to act on them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from alliance.accounts.models import User
from alliance.care.lifecycle import (
    EndingPlanned,
    FollowUpDue,
    PartnershipEnded,
    PartnershipStarted,
)
from alliance.care.models import Partnership
from alliance.checkins import services
from alliance.checkins.models import Alert, AlertEvent, SafetyHandoff
from alliance.checkins.safety import on_call_clinicians
from alliance.measures.alerts.model import AlertKind
from alliance.schedule.events import AttendanceChanged, SessionFinished


def _open_safety_alerts(client_id: int) -> list[Alert]:
    return list(
        Alert.objects.filter(client_id=client_id, kind=AlertKind.SAFETY, is_open=True).order_by(
            "created_at"
        )
    )


def _link(name: str, pk: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[pk])


def _mail(recipient: User, subject: str, intro: str, link: str) -> None:
    with translation.override(recipient.preferred_language or settings.LANGUAGE_CODE):
        body = (
            translation.gettext(intro)
            + "\n\n"
            + translation.gettext("Open it here (log-in required):")
            + f"\n{link}\n\n"
            + translation.gettext("This e-mail deliberately contains no clinical details.")
            + "\n"
        )
        send_mail(translation.gettext(subject), body, None, [recipient.email])


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
    links = [(a.pk, _link("checkins:alert_detail", a.pk)) for a in alerts]

    def notify() -> None:
        for clinician in on_call_clinicians()[:1]:
            for _pk, link in links:
                _mail(
                    clinician,
                    translation.gettext_noop("A client with an open safety alert has no therapist"),
                    translation.gettext_noop(
                        "A client's partnership with their therapist has ended while a safety "
                        "alert is open. The alert stays with the on-call rota until a risk "
                        "assessment closes it."
                    ),
                    link,
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
    link = _link("care:partnership_detail", event.partnership_id)
    transaction.on_commit(
        lambda: _mail(
            therapist,
            translation.gettext_noop("Your new client has an open safety alert"),
            translation.gettext_noop(
                "A client who has just started working with you has a safety alert that is "
                "still open from before. The on-call clinician holds it until a risk "
                "assessment closes it; please contact them before your first session."
            ),
            link,
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


HANDLERS = {
    PartnershipEnded: tell_on_call_the_therapist_has_gone,
    PartnershipStarted: tell_the_new_therapist,
    SessionFinished: ask_about_the_session,
    EndingPlanned: ask_for_final_measures,
    FollowUpDue: ask_for_the_follow_up,
    AttendanceChanged: look_again,
}
