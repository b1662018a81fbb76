"""Safety alerts: raised synchronously, in the caller's transaction, never via a queue.

Any part that sees a safety signal calls `raise_safety_alert` in the request that stores
it: a PHQ-9 item 9 above 0 (checkins), a positive intake screen (care), crisis language in
a message (conversations) or in journal text the client chose to share (journal). Private
journal text never calls it: it is scanned only to show the client crisis resources, and
the consent text says so.

A positive item 9 has a low positive predictive value for a suicide attempt (Simon et al.
2013, Psychiatric Services): the alert starts a structured risk assessment; it is not a
verdict. It closes only with a documented risk assessment and a safety plan (Stanley &
Brown 2012), see `services.close_safety_alert`. Nothing mutes, batches or delays the alert:
each new signal is stored and appended in its own request, and the on-call page shows it at
once. Only the e-mails are coalesced, so a client writing crisis messages in a burst does
not send the clinicians ninety e-mails: the first signal of an alert e-mails at once; later
signals within `SAFETY_DIGEST_MINUTES` of the last e-mail go out together in one digest
(`send_digest`, a task due at the end of that window). Escalation is separate and unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_tasks import task

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.checkins.models import SEALED_PHRASES, Alert, AlertEvent
from alliance.core import mail
from alliance.core.errors import DomainError
from alliance.measures.alerts import crisis_language
from alliance.measures.alerts.model import AlertKind, Pillar, Severity
from alliance.measures.alerts.texts import CLIENT_PROMPTS, REPAIR_ACTIONS
from alliance.privacy import fields

SOURCES = frozenset(
    {"phq9_item9", "critical_item", "intake_screen", "message", "shared_journal", "checkin_comment"}
)

_REASONS = {
    "phq9_item9": "the client reported thoughts of being better off dead or of self-harm "
    "(PHQ-9 item 9)",
    "critical_item": "the client answered a safety question of a practice's questionnaire "
    "above its threshold",
    "intake_screen": "the intake safety screen was positive",
    "message": "crisis language was found in a message",
    "shared_journal": "crisis language was found in journal text the client shared",
    "checkin_comment": "crisis language was found in a check-in comment",
}


class SafetyError(DomainError):
    """A safety-alert step refused (already closed, no assessment given)."""


def crisis_phrases(text: str) -> tuple[str, ...]:
    """Crisis phrases found in `text` by the rule-based detector (empty when none)."""
    return crisis_language.phrases(text or "")


def on_call_clinicians() -> list[User]:
    return list(
        User.objects.filter(role=User.Role.THERAPIST, is_on_call=True, is_active=True).order_by(
            "pk"
        )
    )


def _explanation(sources: list[str]) -> str:
    reasons = [_REASONS[s] for s in sources if s in _REASONS]
    return (
        "Safety: " + "; ".join(reasons) + ". Start a structured risk assessment; this is a "
        "reason to ask, not a verdict of imminent risk (Simon et al. 2013)."
    )


def _clean_evidence(
    source: str, evidence: dict[str, Any], now: Any, client_id: int
) -> dict[str, Any]:
    row = {str(k): v for k, v in evidence.items() if isinstance(v, str | int | float | bool | list)}
    phrases = row.pop("phrases", None)
    if isinstance(phrases, list) and phrases:
        # The client's own words, however few: sealed with their data key like any clinical
        # text, so they are unreadable at rest and for good once the client is erased.
        row[SEALED_PHRASES] = fields.encrypt(json.dumps([str(p) for p in phrases]), client_id)
    row["source"] = source
    row["at"] = now.isoformat()
    return row


@transaction.atomic
def raise_safety_alert(
    *,
    client: User,
    partnership: Partnership | None = None,
    source: str,
    evidence: dict[str, Any],
    actor: User | None = None,
) -> Alert:
    """Create the client's open safety alert, or append to it; notify on commit.

    Runs in the caller's transaction. `evidence` is a small JSON-able dict describing the
    signal (ids, item values, matched phrases — never the message text itself); the phrases
    are stored sealed with the client's data key.
    """
    if source not in SOURCES:
        raise SafetyError(f"unknown safety source {source!r}")
    if partnership is not None and partnership.client_id != client.pk:
        raise SafetyError("the partnership belongs to another client")
    now = timezone.now()
    row = _clean_evidence(source, evidence, now, client.pk)
    session = row.get("session") if isinstance(row.get("session"), int) else None
    # Lock the client row so two signals at once append to one alert.
    User.objects.select_for_update().filter(pk=client.pk).first()
    alert = Alert.objects.filter(client=client, kind=AlertKind.SAFETY, is_open=True).first()
    if alert is None:
        alert = Alert(
            client=client,
            partnership=partnership,
            kind=AlertKind.SAFETY,
            severity=Severity.CRITICAL,
            severity_rank=Severity.CRITICAL.rank,
            pillar=Pillar.SAFETY,
            evidence=[row],
            sources=[source],
            explanation=_explanation([source]),
            repair_actions=list(REPAIR_ACTIONS[AlertKind.SAFETY]),
            client_prompt=CLIENT_PROMPTS[AlertKind.SAFETY],
            session=session,
            created_at=now,
            updated_at=now,
        )
        try:
            with transaction.atomic():
                alert.save()
        except IntegrityError:
            # Another request opened it between our read and write (no row to lock yet).
            alert = Alert.objects.select_for_update().get(
                client=client, kind=AlertKind.SAFETY, is_open=True
            )
            _append(alert, row, source, partnership, session, now)
            action = AlertEvent.Action.UPDATED
        else:
            action = AlertEvent.Action.RAISED
    else:
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        _append(alert, row, source, partnership, session, now)
        action = AlertEvent.Action.UPDATED
    AlertEvent.objects.create(alert=alert, action=action, actor=actor, created_at=now)
    alert_id = alert.pk
    transaction.on_commit(lambda: notify_new_signal(alert_id))
    return alert


def _last_notified(alert: Alert) -> dt.datetime | None:
    return (
        AlertEvent.objects.filter(alert=alert, action=AlertEvent.Action.NOTIFIED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def notify_new_signal(alert_id: int, *, now: dt.datetime | None = None) -> list[str]:
    """E-mail about a new signal now, or fold it into the digest already due.

    The first signal of an alert (or the first after a quiet window) is e-mailed at once;
    a signal within `SAFETY_DIGEST_MINUTES` of the last e-mail schedules one digest at the
    end of that window (once, however many signals come meanwhile)."""
    now = now or timezone.now()
    window = dt.timedelta(minutes=settings.SAFETY_DIGEST_MINUTES)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert_id)
        if not alert.is_open:
            return []
        last = _last_notified(alert)
        if last is None or now - last >= window:
            send_now = True
        else:
            send_now = False
            if alert.digest_due_at is None:
                alert.digest_due_at = last + window
                alert.save(update_fields=["digest_due_at"])
                due = alert.digest_due_at
                transaction.on_commit(lambda: send_digest.using(run_after=due).enqueue(alert_id))
    return notify_safety_alert(alert_id, escalation=False) if send_now else []


def digest_due(alert_id: int, *, now: dt.datetime | None = None) -> list[str]:
    """The digest: one e-mail for the signals since the last e-mail, if any came."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert_id)
        if alert.digest_due_at is None or alert.digest_due_at > now:
            return []  # already sent, or not due yet (a task run early is harmless)
        alert.digest_due_at = None
        alert.save(update_fields=["digest_due_at"])
        last = _last_notified(alert)
        new = AlertEvent.objects.filter(
            alert=alert,
            action__in=[AlertEvent.Action.RAISED, AlertEvent.Action.UPDATED],
            created_at__gt=last or alert.created_at,
        ).count()
        if not alert.is_open or new == 0:
            return []
    return notify_safety_alert(alert_id, escalation=False, digest_of=new)


def _append(
    alert: Alert,
    row: dict[str, Any],
    source: str,
    partnership: Partnership | None,
    session: int | None,
    now: Any,
) -> None:
    alert.evidence = [*alert.evidence, row]
    if source not in alert.sources:
        alert.sources = [*alert.sources, source]
    alert.explanation = _explanation(alert.sources)
    # The alert follows the client: after a switch the new therapist sees it too.
    if partnership is not None and partnership.is_active:
        alert.partnership = partnership
    if session is not None:
        alert.session = max(alert.session or 0, session)
    alert.updated_at = now
    alert.save(
        update_fields=["evidence", "sources", "explanation", "partnership", "session", "updated_at"]
    )


def _link(alert_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("checkins:alert_detail", args=[alert_id])


def notify_safety_alert(alert_id: int, *, escalation: bool, digest_of: int = 0) -> list[str]:
    """E-mail the therapist and the on-call clinician (every on-call clinician when
    escalating). The e-mail carries a link only, never clinical content; a digest says how
    many new signals it covers."""
    alert = Alert.objects.select_related("partnership__therapist").get(pk=alert_id)
    on_call = on_call_clinicians()
    recipients: list[User] = []
    if not escalation:
        if alert.partnership is not None and alert.partnership.is_active:
            recipients.append(alert.partnership.therapist)
        # The first clinician on the rota; everyone on call if it is not acknowledged in time.
        recipients += on_call[:1] if recipients else on_call
    else:
        recipients = on_call
    # One e-mail per address, each in its reader's language.
    by_address: dict[str, User] = {}
    for clinician in recipients:
        if clinician.email:
            by_address.setdefault(clinician.email, clinician)
    emails = list(by_address)
    link = _link(alert_id)

    def compose() -> tuple[str, str]:
        if escalation:
            subject = gettext("Escalated: a safety alert is still unacknowledged")
            lead = gettext(
                "A client's safety alert on Alliance needs a clinician's attention and has not "
                "been acknowledged within %(minutes)s minutes."
            ) % {"minutes": settings.SAFETY_ACK_MINUTES}
        elif digest_of:
            subject = ngettext(
                "A safety alert has %(count)s new signal",
                "A safety alert has %(count)s new signals",
                digest_of,
            ) % {"count": digest_of}
            lead = ngettext(
                "A client's safety alert on Alliance needs a clinician's attention. "
                "%(count)s new signal came since the last e-mail about it.",
                "A client's safety alert on Alliance needs a clinician's attention. "
                "%(count)s new signals came since the last e-mail about it.",
                digest_of,
            ) % {"count": digest_of}
        else:
            subject = gettext("A safety alert needs your attention")
            lead = gettext("A client's safety alert on Alliance needs a clinician's attention.")
        open_it = gettext("Open it here (log-in required):")
        no_details = gettext("This e-mail deliberately contains no clinical details.")
        body = f"{lead}\n\n{open_it}\n{link}\n\n{no_details}\n"
        return subject, body

    for clinician in by_address.values():
        mail.send_composed(clinician, compose)
    if emails:
        AlertEvent.objects.create(
            alert=alert,
            action=AlertEvent.Action.ESCALATED if escalation else AlertEvent.Action.NOTIFIED,
            note=f"e-mailed {len(emails)} clinician(s)",
            created_at=timezone.now(),
        )
    return emails


def escalate_unacknowledged(now: Any = None) -> list[int]:
    """Escalate every open safety alert nobody acknowledged within SAFETY_ACK_MINUTES to
    every on-call clinician, once. Run every minute by the worker clock."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=settings.SAFETY_ACK_MINUTES)
    due = list(
        Alert.objects.filter(
            kind=AlertKind.SAFETY,
            is_open=True,
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            created_at__lte=cutoff,
        ).values_list("pk", flat=True)
    )
    done = []
    for pk in due:
        with transaction.atomic():
            claimed = Alert.objects.filter(pk=pk, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not claimed:
                continue  # another worker took it
            transaction.on_commit(partial(notify_safety_alert, pk, escalation=True))
        done.append(pk)
    return done


@task()
def send_digest(alert_id: int) -> list[str]:
    """At the end of a coalescing window: the digest of a safety alert's newer signals."""
    return digest_due(alert_id)
