"""Alert texts stored in English, shown in the reader's language.

The alert rules (`alliance.measures.alerts`, no Django) write each alert's explanation and
evidence labels in English when the alert is raised, and the stored text is what the record
keeps. A page shows them in the active language: each stored shape the rules write is
matched here and rebuilt from a catalogue sentence, with its numbers in the active locale
("0.67" reads "0,67" in Spanish). A text of no known shape is shown as stored, whole, never
half translated. English pages show the stored text unchanged.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

N = r"-?\d+(?:\.\d+)?"
PILLAR = r"goal|task|bond"

# What each pillar reads as inside a sentence ("the client rates the bond at ...").
PILLAR_WORDS = {"goal": _("the goals"), "task": _("the tasks"), "bond": _("the bond")}
AGREEMENT_WORDS = {
    "goal": _("agreement on goals"),
    "task": _("agreement on tasks"),
    "bond": _("the bond"),
}


def local_number(text: str) -> str:
    """A number as the engine wrote it ("0.67", "12") in the active locale, same decimals."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return str(formats.number_format(Decimal(text), decimal_pos=decimals))


def shown_number(value: float | int, decimals: int = 2) -> str:
    """A stored number for display: at most `decimals` places, trailing zeros dropped, in
    the active locale (5.0 -> "5", 0.25 -> "0,25" in Spanish)."""
    return str(floatformat(value, -decimals))


def english() -> bool:
    return (get_language() or "en").split("-")[0] == "en"


Sentence = tuple[re.Pattern[str], Any]


def _sentences(pairs: list[tuple[str, Any]]) -> list[Sentence]:
    return [(re.compile(pattern + r"\Z"), msgid) for pattern, msgid in pairs]


# One reason of an explanation (the rules join several with "; ").
REASONS = _sentences(
    [
        (
            rf"(?P<n>{N}) late cancellations or no-shows recently",
            _("late cancellations or no-shows recently: %(n)s"),
        ),
        (rf"(?P<n>{N}) late arrivals recently", _("late arrivals recently: %(n)s")),
        (rf"(?P<n>{N}) check-ins skipped recently", _("check-ins skipped recently: %(n)s")),
        (
            rf"messages fell from (?P<a>{N}) to (?P<b>{N}) per fortnight",
            _("messages fell from %(a)s to %(b)s per fortnight"),
        ),
        (
            rf"the latest bond rating \((?P<v>{N})\) is in the practice's weak band",
            _("the latest bond rating (%(v)s) is in the practice's weak band"),
        ),
        (
            rf"bond fell from the client's own baseline (?P<a>{N}) to (?P<b>{N}) \(ratings near "
            r"the ceiling make even a small drop informative\)",
            _(
                "bond fell from the client's own baseline %(a)s to %(b)s (ratings near the "
                "ceiling make even a small drop informative)"
            ),
        ),
        (
            rf"bond fell from the client's own baseline (?P<a>{N}) to (?P<b>{N})",
            _("bond fell from the client's own baseline %(a)s to %(b)s"),
        ),
        (
            rf"(?P<agreement>{PILLAR}) agreement is low \((?P<v>{N})\)",
            _("%(agreement)s is low (%(v)s)"),
        ),
        (
            rf"(?P<agreement>{PILLAR}) agreement fell from (?P<a>{N}) to (?P<b>{N})",
            _("%(agreement)s fell from %(a)s to %(b)s"),
        ),
        (
            rf"goals are not yet agreed after (?P<n>{N}) sessions",
            _("goals are not yet agreed after %(n)s sessions"),
        ),
        (
            rf"the client rates (?P<pillar>{PILLAR}) at (?P<a>{N}) and you at (?P<b>{N})",
            _("the client rates %(pillar)s at %(a)s and you at %(b)s"),
        ),
        (
            rf"(?P<inst>\S+) went from (?P<a>{N}) to (?P<b>{N})",
            _("%(inst)s went from %(a)s to %(b)s"),
        ),
        (
            rf"(?P<inst>\S+) (?P<a>{N}) → (?P<b>{N}) by session (?P<n>{N})",
            _("%(inst)s %(a)s → %(b)s by session %(n)s"),
        ),
        (
            rf"(?P<inst>\S+) (?P<a>{N}) at session (?P<n>{N})",
            _("%(inst)s %(a)s at session %(n)s"),
        ),
        (
            r"off track for several measurements in a row",
            _("off track for several measurements in a row"),
        ),
        (
            r"the client reported thoughts of being better off dead or of self-harm "
            r"\(PHQ-9 item 9\)",
            _(
                "the client reported thoughts of being better off dead or of self-harm "
                "(PHQ-9 item 9)"
            ),
        ),
        (
            r"the client answered a safety question of a practice's questionnaire above its "
            r"threshold",
            _(
                "the client answered a safety question of a practice's questionnaire above "
                "its threshold"
            ),
        ),
        (r"the intake safety screen was positive", _("the intake safety screen was positive")),
        (
            r"crisis language was found in a message or shared text",
            _("crisis language was found in a message or shared text"),
        ),
        (
            r"crisis language was found in a message",
            _("crisis language was found in a message"),
        ),
        (
            r"crisis language was found in journal text the client shared",
            _("crisis language was found in journal text the client shared"),
        ),
        (
            r"crisis language was found in a check-in comment",
            _("crisis language was found in a check-in comment"),
        ),
    ]
)

# A whole explanation: a fixed frame around the reasons, or one sentence of its own.
EXPLANATIONS = _sentences(
    [
        (
            r"The client may be pulling away from therapy: (?P<reasons>.+)\. Avoidance is often "
            r"how a client shows that something in the work does not fit\.",
            _(
                "The client may be pulling away from therapy: %(reasons)s. Avoidance is often "
                "how a client shows that something in the work does not fit."
            ),
        ),
        (
            r"The client may be feeling misunderstood, judged or less connected: "
            r"(?P<reasons>.+)\.",
            _("The client may be feeling misunderstood, judged or less connected: %(reasons)s."),
        ),
        (
            r"Collaboration may be faltering: (?P<reasons>.+)\.",
            _("Collaboration may be faltering: %(reasons)s."),
        ),
        (
            r"Symptoms have reliably worsened since the start: (?P<reasons>.+)\.",
            _("Symptoms have reliably worsened since the start: %(reasons)s."),
        ),
        (
            r"No reliable change yet for a client who started at caseness: (?P<reasons>.+)\.",
            _("No reliable change yet for a client who started at caseness: %(reasons)s."),
        ),
        (
            r"Progress is behind what is expected for clients who started at a similar score: "
            r"(?P<reasons>.+)\.",
            _(
                "Progress is behind what is expected for clients who started at a similar "
                "score: %(reasons)s."
            ),
        ),
        (
            r"Safety: (?P<reasons>.+)\. Start a structured risk assessment; this is a reason "
            r"to ask, not a verdict of imminent risk \(Simon et al\. 2013\)\.",
            _(
                "Safety: %(reasons)s. Start a structured risk assessment; this is a reason to "
                "ask, not a verdict of imminent risk (Simon et al. 2013)."
            ),
        ),
        (
            r"Safety: (?P<reasons>.+)\. Start a structured risk assessment; this is a reason "
            r"to ask, not a verdict of imminent risk\.",
            _(
                "Safety: %(reasons)s. Start a structured risk assessment; this is a reason to "
                "ask, not a verdict of imminent risk."
            ),
        ),
        (
            rf"At the session-(?P<n>\d+) checkpoint the alliance looks weak \(mean rating "
            rf"(?P<m>{N}); weakest: (?P<pillar>{PILLAR}) (?P<v>{N})\)\. Early alliance predicts "
            r"outcome, so now is the time for a repair plan; the client is offered an easy "
            r"switch\.",
            _(
                "At the session-%(n)s checkpoint the alliance looks weak (mean rating %(m)s; "
                "weakest: %(pillar)s %(v)s). Early alliance predicts outcome, so now is the "
                "time for a repair plan; the client is offered an easy switch."
            ),
        ),
        (
            rf"The (?P<kind>\w+) alert raised at session (?P<n>\d+) looks repaired: "
            rf"(?P<pillar>{PILLAR}) is back at the client's own baseline \((?P<b>{N})\) and "
            r"held for (?P<k>\d+) check-ins\.",
            _(
                "The %(kind)s alert raised at session %(n)s looks repaired: %(pillar)s is back "
                "at the client's own baseline (%(b)s) and held for %(k)s check-ins."
            ),
        ),
        (
            r"The safety question of (?P<inst>\S+) was left unanswered at session (?P<n>\d+); "
            r"the total is prorated\. Ask about it: a blank is not a 'no'\.",
            _(
                "The safety question of %(inst)s was left unanswered at session %(n)s; the "
                "total is prorated. Ask about it: a blank is not a 'no'."
            ),
        ),
    ]
)


class Unknown(Exception):
    """A stored text of no known shape."""


def _part(name: str, value: str, kinds: dict[str, Any]) -> str:
    if name == "reasons":
        return "; ".join(_sentence(REASONS, r, kinds) for r in value.split("; "))
    if name == "pillar":
        return str(PILLAR_WORDS[value])
    if name == "agreement":
        return str(AGREEMENT_WORDS[value])
    if name == "kind":
        return str(kinds.get(value, value)).lower()
    if name in ("inst", "day"):
        return value
    return local_number(value)


def _sentence(sentences: list[Sentence], text: str, kinds: dict[str, Any]) -> str:
    for pattern, msgid in sentences:
        found = pattern.match(text)
        if found:
            parts = {k: _part(k, v, kinds) for k, v in found.groupdict().items()}
            return str(msgid) % parts
    raise Unknown(text)


def explanation(text: str, kinds: dict[str, Any]) -> str:
    """A stored explanation in the active language (as stored when its shape is unknown)."""
    if english():
        return text
    try:
        return _sentence(EXPLANATIONS, text, kinds)
    except Unknown:
        return text


# Evidence labels and notes the rules store, whole or as a shape around a name or number.
PHRASES = {
    "bond baseline": _("bond baseline"),
    "goal baseline": _("goal agreement baseline"),
    "task baseline": _("task agreement baseline"),
    "skipped check-in": _("skipped check-in"),
    "late minutes": _("minutes late"),
    "messages in the last two weeks": _("messages in the last two weeks"),
    "messages in the two weeks before": _("messages in the two weeks before"),
    "mean of goal, task, bond": _("mean of goals, tasks and bond"),
    "goals co-agreed": _("goals agreed together"),
    "treatment plan": _("treatment plan"),
    "client disagreed": _("the client disagreed"),
    "safety screen": _("safety screen"),
    "late_cancellation": _("late cancellation"),
    "no_show": _("no-show"),
    "in the weak band": _("in the weak band"),
    "weak band": _("weak band"),
    "drop from the ceiling": _("drop from the ceiling"),
    "drop from baseline": _("drop from baseline"),
    "at baseline": _("at baseline"),
    "sessions since start": _("sessions since start"),
    "reliable-change threshold (points)": _("reliable-change threshold (points)"),
    "at caseness": _("at caseness"),
    "change below the reliable-change threshold": _("change below the reliable-change threshold"),
    "off the expected trajectory": _("off the expected trajectory"),
    "no": _("no"),
    "yes": _("yes"),
    "skipped": _("skipped"),
    "positive": _("positive"),
}
SHAPES = _sentences(
    [
        (r"(?P<inst>\S+) first", _("%(inst)s first score")),
        (r"(?P<inst>\S+) latest", _("%(inst)s latest score")),
        (r"(?P<inst>\S+) total", _("%(inst)s total")),
        (r"(?P<inst>\S+) item (?P<n>\d+)", _("%(inst)s item %(n)s")),
        (
            rf"(?P<pillar>{PILLAR}) gap \(therapist - client\)",
            _("gap on %(pillar)s (therapist minus client)"),
        ),
        (rf"client (?P<a>{N}), therapist (?P<b>{N})", _("client %(a)s, therapist %(b)s")),
        (rf"total (?P<n>{N})", _("total %(n)s")),
        (r"version (?P<n>\d+), (?P<day>\d{4}-\d{2}-\d{2})", _("version %(n)s, %(day)s")),
        (r"version (?P<n>\d+)", _("version %(n)s")),
    ]
)


def phrase(text: str) -> str:
    """A stored evidence label, note or word in the active language (else as stored)."""
    if english() or not text:
        return text
    if text in PHRASES:
        return str(PHRASES[text])
    try:
        return _sentence(SHAPES, text, {})
    except Unknown:
        return text


def item_answer(n: Any, answer: Any, total: Any, text: str = "") -> str:
    """A safety item's answer: "item 9 = 2 (total 14)", with the answer's words if stored."""
    shown_total = shown_number(total) if isinstance(total, int | float) else "?"
    value = gettext("item %(n)s = %(answer)s (total %(total)s)") % {
        "n": n,
        "answer": answer,
        "total": shown_total,
    }
    return f"{value}: {text}" if text else value
