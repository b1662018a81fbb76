"""Alerts of the alliance monitor and of the safety screen, in their workflow: open →
acknowledged → repair planned → resolved / repaired, with every step kept in `AlertEvent`;
the assessment and safety plan that close a safety alert; evaluations that failed; and the
notice a new therapist gets of a safety alert from before a switch. Evidence is shown in
words (`Alert.evidence_rows`).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.checkins import alert_words
from alliance.measures.alerts.risk import frequency
from alliance.measures.registry import get_instrument, instrument_ids
from alliance.privacy import fields
from alliance.privacy.fields import EncryptedTextField

# Safety evidence holds the crisis phrases matched in the client's words under this key,
# encrypted with the client's data key (checkins/safety.py).
SEALED_PHRASES = "phrases_sealed"


def matched_phrases(evidence: dict[str, Any]) -> list[str]:
    """The crisis phrases of one evidence row, decrypted; after erasure, the erased mark."""
    sealed = evidence.get(SEALED_PHRASES)
    if not isinstance(sealed, str):
        return [str(p) for p in evidence.get("phrases") or []]  # written before sealing
    text = fields.decrypt(sealed)
    if isinstance(text, fields.Unreadable):
        return [str(text)]
    return [str(p) for p in json.loads(text)]


KIND_LABELS = {
    "attention": _("Needs attention"),
    "bond": _("Bond"),
    "collaboration": _("Collaboration (goals and tasks)"),
    "not_on_track": _("Not on track"),
    "no_reliable_change": _("No reliable change"),
    "deterioration": _("Deterioration"),
    "avoidance": _("Avoidance"),
    "checkpoint": _("Session-3 checkpoint"),
    "safety": _("Safety"),
    "safety_unanswered": _("Safety question unanswered"),
}


SEVERITY_LABELS = {
    "info": _("info"),
    "low": _("low"),
    "medium": _("medium"),
    "high": _("high"),
    "critical": _("critical"),
}


class Alert(models.Model):
    """An alert of the alliance monitor, in its workflow.

    At most one open alert per kind per partnership (a DB constraint): a new signal updates
    the evidence of the open one. Safety alerts belong to the client: at most one open per
    client, and they stay open (with the on-call clinician) when the partnership ends.
    """

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REPAIR_PLANNED = "repair_planned", _("Repair planned")
        RESOLVED = "resolved", _("Resolved")
        REPAIRED = "repaired", _("Repaired")

    OPEN_STATES = (State.OPEN, State.ACKNOWLEDGED, State.REPAIR_PLANNED)

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    partnership = models.ForeignKey(
        "care.Partnership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
    )
    kind = models.CharField(max_length=30)
    severity = models.CharField(max_length=10)
    severity_rank = models.PositiveSmallIntegerField()
    pillar = models.CharField(max_length=20)
    evidence = models.JSONField(default=list)
    explanation = models.TextField()
    repair_actions = models.JSONField(default=list)
    client_prompt = models.TextField(blank=True)
    session = models.PositiveIntegerField(null=True, blank=True)
    sources = models.JSONField(default=list)  # safety: where the signals came from
    # A "needs attention" card: the client's risk (probability of dropout or reliable
    # deterioration within the model's horizon) when the card was last evaluated.
    risk = models.FloatField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    repair_session = models.PositiveIntegerField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # A safety alert's e-mails are coalesced: the first signal e-mails at once, later ones
    # within SAFETY_DIGEST_MINUTES go out together in one digest at this time.
    digest_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "kind"],
                condition=Q(is_open=True) & ~Q(kind="safety"),
                name="one_open_alert_per_kind",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(is_open=True, kind="safety"),
                name="one_open_safety_alert_per_client",
            ),
            models.CheckConstraint(
                condition=Q(is_open=True, state__in=["open", "acknowledged", "repair_planned"])
                | Q(is_open=False, state__in=["resolved", "repaired"]),
                name="alert_open_flag_matches_state",
            ),
        ]
        indexes = [
            models.Index(fields=["partnership", "is_open"], name="alert_partnership_open"),
            models.Index(fields=["kind", "is_open"], name="alert_kind_open"),
        ]
        ordering = ["-severity_rank", "-updated_at"]

    def __str__(self) -> str:
        return f"{self.kind} alert {self.pk}"

    @property
    def audit_client_id(self) -> int:
        return int(self.client_id)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def explanation_text(self) -> str:
        """The rule's explanation in the reader's language, with instruments by name ("GAD-7 9 at
        session 5")."""
        names = _instrument_names()
        shown = alert_words.explanation(self.explanation, KIND_LABELS)
        return _instrument_ids().sub(lambda m: names[str(m.group(1))], shown)

    @property
    def severity_label(self) -> str:
        return str(SEVERITY_LABELS.get(self.severity, self.severity))

    @property
    def is_safety(self) -> bool:
        return self.kind == "safety"

    @property
    def is_card(self) -> bool:
        return self.kind == "attention"

    @property
    def frequency(self) -> tuple[int, int] | None:
        """The card's risk as "about N in D" (tenths from 10%, hundredths below)."""
        if self.risk is None:
            return None
        return frequency(self.risk)

    def reasons(self) -> list[dict[str, Any]]:
        """The card's evidence grouped by reason, strongest reason first."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in self.evidence_rows():
            groups.setdefault(row["reason"], []).append(row)
        return [
            {"signal": s, "label": str(REASON_LABELS.get(s, s)), "rows": rows}
            for s, rows in groups.items()
        ]

    def evidence_rows(self) -> list[dict[str, Any]]:
        """Evidence in one shape for display, whichever rule or source wrote it, in words
        (sources, pillars and instruments named, codes spelled out, ratings rounded)."""
        rows = []
        for e in self.evidence or []:
            label = _evidence_words(
                alert_words.phrase(str(e.get("label") or e.get("instrument") or ""))
            )
            phrases = matched_phrases(e)
            if phrases:
                label = f"{label} {', '.join(phrases)}".strip()
            value = e.get("value")
            if value is None and e.get("item_number") is not None:
                # The item as its own form numbers it (an imported PHQ-9 need not call it
                # phq9_9), with the answer chosen.
                value = alert_words.item_answer(
                    e["item_number"], e.get("answer"), e.get("total"), e.get("answer_text") or ""
                )
            elif value is None and e.get("item9") is not None:  # written before item_number
                value = alert_words.item_answer(9, e["item9"], e.get("total"))
            elif isinstance(value, float):
                value = alert_words.shown_number(value)
            elif isinstance(value, str):
                value = _evidence_words(alert_words.phrase(value))
            source = str(e.get("source", ""))
            reference = e.get("reference")
            raw = e.get("value")
            label_key = str(e.get("label") or "")
            if source == "risk":  # a signal the risk read before its rule fired
                label = str(FEATURE_LABELS.get(label_key, label_key))
                value = _feature_value(label_key, raw)
            elif source == "checkin" and isinstance(raw, float) and "gap" not in label_key:
                value = _on_hundred(raw)
                reference = _on_hundred(reference) if isinstance(reference, float) else reference
            elif source == "checkin" and isinstance(raw, float):
                value = _("%(n)s points of 100") % {"n": round(raw * 100)}
            elif source == "outcome" and isinstance(raw, int | float):
                value = _on_instrument_scale(label_key, raw)
            elif source == "attendance" and raw in ("late_cancellation", "no_show"):
                value = str(_("missed"))  # the label already says how
            if isinstance(reference, float):
                reference = alert_words.shown_number(reference)
            rows.append(
                {
                    "source": str(EVIDENCE_SOURCES.get(source, source)),
                    "label": label,
                    "value": value,
                    "session": e.get("session"),
                    "reference": reference,
                    "note": alert_words.phrase(str(e.get("note") or "")),
                    "reason": str(e.get("reason") or ""),
                }
            )
        return rows


def _on_hundred(value: float) -> str:
    """A 0–1 check-in rating on a 0–100 scale, which a therapist reads at a glance."""
    return _("%(n)s of 100") % {"n": round(value * 100)}


def _on_instrument_scale(label: str, total: float) -> str:
    """An outcome total with its instrument's range ("18 of 27")."""
    instrument = label.split(" ")[0]
    if instrument in instrument_ids():
        top = get_instrument(instrument).total_max
        return _("%(v)s of %(max)s") % {
            "v": alert_words.shown_number(total),
            "max": alert_words.shown_number(top),
        }
    return alert_words.shown_number(total)


def _feature_value(name: str, value: Any) -> str:
    if not isinstance(value, int | float):
        return str(value)
    if name in ("missed", "late_arrivals", "skipped"):
        return _("%(n)s of the last 4 appointments") % {"n": round(value)}
    if name == "off_track":
        return _("%(n)s of the latest 2 scores") % {"n": round(value)}
    if name == "worsening":
        return _("%(n)s × the reliable-change threshold") % {
            "n": alert_words.local_number(f"{value:.1f}")
        }
    if name in ("goals_not_agreed", "no_reliable_change"):
        return str(_("yes"))
    return _("%(n)s points of 100") % {"n": round(value * 100)}


REASON_LABELS = {
    "bond": _("Bond"),
    "collaboration": _("Goal and task agreement"),
    "perspective_gap": _("Client and therapist see it differently"),
    "checkpoint": _("Session-3 checkpoint"),
    "not_on_track": _("Not on track"),
    "no_reliable_change": _("No reliable improvement"),
    "deterioration": _("Getting worse"),
    "avoidance": _("Missed or skipped sessions"),
    "fading_contact": _("Fading contact"),
    "": _("Other"),
}
FEATURE_LABELS = {
    "bond_deficit": _("Latest bond rating, below the top of the scale"),
    "bond_drop": _("Bond below the client's own baseline"),
    "collaboration_deficit": _("Latest goal and task ratings, below the top of the scale"),
    "collaboration_drop": _("Goal or task below the client's own baseline"),
    "goals_not_agreed": _("Goals not agreed by session 3"),
    "perspective_gap": _("The therapist rates the work above the client"),
    "checkpoint": _("Alliance at the session-3 check-in, below the top of the scale"),
    "off_track": _("Scores above the expected path"),
    "no_reliable_change": _("No reliable improvement since the first score"),
    "worsening": _("Worse than the first score"),
    "missed": _("Late cancellations and no-shows"),
    "late_arrivals": _("Appointments not started on time (10+ minutes late, or missed)"),
    "skipped": _("Sessions without the client's check-in (not rated, or missed)"),
    "fading_contact": _("Fewer messages than the two weeks before"),
}

EVIDENCE_SOURCES = {
    "checkin": _("Check-in"),
    "attendance": _("Attendance"),
    "goals": _("Goals"),
    "messages": _("Messages"),
    "outcome": _("Outcome measure"),
    "intake": _("Intake"),
    "crisis_language": _("Crisis language"),
    "message": _("Message"),
    "phq9_item9": _("PHQ-9 item 9"),
    "critical_item": _("Safety question"),
    "intake_screen": _("Intake safety screen"),
    "shared_journal": _("Shared journal entry"),
    "checkin_comment": _("Check-in comment"),
    "safety_unanswered": _("Safety question unanswered"),
    "risk": _("Risk model"),
}
_PILLARS = {"goal": _("Goal agreement"), "task": _("Task agreement"), "bond": _("Bond")}


@functools.cache
def _instrument_names() -> dict[str, str]:
    """Shipped instrument id -> its short name ("phq9" -> "PHQ-9"), from the registry."""
    return {i: get_instrument(i).short_name for i in instrument_ids()}


@functools.cache
def _instrument_ids() -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(map(re.escape, _instrument_names())) + r")\b")


def _evidence_words(text: str) -> str:
    """ "gad7 total" -> "GAD-7 total", "goal" -> "Goal agreement", "no_show" -> "no show"."""
    if text in _PILLARS:
        return str(_PILLARS[text])
    words = [_instrument_names().get(w, w) for w in text.split(" ")]
    return " ".join(w.replace("_", " ") if w.isidentifier() else w for w in words)


class AlertEvent(models.Model):
    """One step in an alert's history: raised, updated, acknowledged, escalated, ..."""

    class Action(models.TextChoices):
        RAISED = "raised", _("Raised")
        UPDATED = "updated", _("New evidence")
        NOTIFIED = "notified", _("Notified")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REPAIR_PLANNED = "repair_planned", _("Repair planned")
        ESCALATED = "escalated", _("Escalated to on-call")
        RESOLVED = "resolved", _("Resolved")
        REPAIRED = "repaired", _("Repaired")
        NOTE = "note", _("Note")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Null when there is no note: nothing to encrypt (most events carry none).
    note = EncryptedTextField(owner="alert.client_id", blank=True, null=True, default=None)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} ({self.alert_id})"


class SafetyAssessment(models.Model):
    """The documented risk assessment and safety plan that close a safety alert.

    The plan holds the six steps of the Safety Planning Intervention (Stanley & Brown 2012,
    Cogn Behav Pract 19:256), warning signs to making the environment safe, and the client's
    reasons for living, a field Alliance adds that is not one of the six steps.
    """

    class Risk(models.TextChoices):
        LOW = "low", _("Low")
        MODERATE = "moderate", _("Moderate")
        HIGH = "high", _("High")

    alert = models.OneToOneField(Alert, on_delete=models.PROTECT, related_name="assessment")
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    risk_level = models.CharField(max_length=10, choices=Risk.choices)
    risk_assessment = EncryptedTextField(owner="alert.client_id")
    warning_signs = EncryptedTextField(owner="alert.client_id")
    coping_strategies = EncryptedTextField(owner="alert.client_id")
    social_distractions = EncryptedTextField(owner="alert.client_id")
    people_to_ask = EncryptedTextField(owner="alert.client_id")
    professionals = EncryptedTextField(owner="alert.client_id")
    environment_safety = EncryptedTextField(owner="alert.client_id")
    reasons_for_living = EncryptedTextField(owner="alert.client_id")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"assessment of alert {self.alert_id}"


class ClientRisk(models.Model):
    """A partnership's latest risk (measures/alerts/risk.py), kept so that the alert budget
    of a caseload can be applied when one client is evaluated, and shown on the caseload.
    Removed when the partnership ends."""

    partnership = models.OneToOneField(
        "care.Partnership", on_delete=models.CASCADE, related_name="risk"
    )
    probability = models.FloatField()
    session = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=list)  # [{"signal", "contribution"}], ranked
    missed = models.PositiveSmallIntegerField(default=0)  # of the last four appointments
    model_source = models.CharField(max_length=200, blank=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"risk {self.probability:.2f} of partnership {self.partnership_id}"


class RiskModelFit(models.Model):
    """A refit of the risk model on the practice's own history (nightly, once it has
    enough events), shrunk toward the shipped prior. The newest row is the model in use."""

    coefficients = models.JSONField()  # RiskModel.to_json()
    events = models.PositiveIntegerField()
    observations = models.PositiveIntegerField()
    partnerships = models.PositiveIntegerField()
    fitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-fitted_at", "-id"]

    def __str__(self) -> str:
        return f"risk model fitted {self.fitted_at:%Y-%m-%d} on {self.events} events"


class AlertEvaluationFailure(models.Model):
    """An alert evaluation of one partnership that raised, kept for the practice admin.

    One open row per partnership: a repeat failure bumps `count` and `last_failed_at`; the
    row is resolved when that partnership next evaluates cleanly (or is no longer active).
    `message` is the exception's message with quoted text blanked and cut short: engine
    errors name items and sessions, never answers or free text.
    """

    partnership = models.ForeignKey("care.Partnership", on_delete=models.CASCADE, related_name="+")
    error = models.CharField(max_length=100)
    message = models.CharField(max_length=300, blank=True)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partnership"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_evaluation_failure",
            ),
        ]

    def __str__(self) -> str:
        return f"alert evaluation failure of partnership {self.partnership_id}"


class SafetyHandoff(models.Model):
    """A new therapist told that their client has an open safety alert from before the
    switch (checkins/lifecycle.py). Minimum necessary: that it exists and who holds it (the
    on-call clinician), never its evidence, whatever the client's handoff consent."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="handoffs")
    partnership = models.ForeignKey("care.Partnership", on_delete=models.CASCADE, related_name="+")
    told_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "partnership"], name="one_handoff_per_alert")
        ]

    def __str__(self) -> str:
        return f"safety handoff of alert {self.alert_id} to partnership {self.partnership_id}"
