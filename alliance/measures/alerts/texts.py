"""Repair suggestions for therapists and gentle prompts for clients, per alert kind.

Repair actions follow the rupture-and-repair literature: Safran & Muran's model of
withdrawal and confrontation ruptures and their repair (metacommunication: naming what is
happening between therapist and client, inviting the client's experience, acknowledging
one's own part), the markers of the 3RS coding system (Eubanks, Muran & Safran 2015), and
the meta-analysis linking repaired ruptures to better outcomes (Eubanks et al. 2018,
11 studies, 1,314 patients, r = .29).

Client prompts never contain clinical labels (no "rupture", "risk", "deterioration",
"alert", scores or bands): they invite a conversation and mention the switch option.
"""

from __future__ import annotations

from .model import AlertKind


def gettext_noop(text: str) -> str:
    """Marks text for the translation catalogue (`makemessages` finds it by this name)
    without importing Django: pages translate stored texts when they show them."""
    return text


_METACOMMUNICATE = gettext_noop(
    "Name what you notice, tentatively and without blame, and invite the client's view: "
    '"I wonder how our work together has felt lately?" (metacommunication, Safran & Muran).'
)
_OWN_PART = gettext_noop(
    "Acknowledge your own part in any misunderstanding, non-defensively; validate the "
    "client's reaction before explaining anything (Safran & Muran)."
)
_WITHDRAWAL = gettext_noop(
    "Watch for withdrawal markers (minimal answers, topic shifts, over-agreeing) and "
    "confrontation markers (complaints about you or the work) as coded in the 3RS "
    "(Eubanks, Muran & Safran 2015); attend to the rupture before the content."
)
_REVISIT_GOALS = gettext_noop(
    "Revisit goals together: ask what the client most wants from therapy now and agree "
    "one goal in their words (Bordin: agreement on goals)."
)
_REVISIT_TASKS = gettext_noop(
    "Explain the rationale of the current tasks or change them; ask which parts of the work "
    "feel useful and which do not (Bordin: agreement on tasks; Safran & Muran's immediate "
    "repair by clarifying or changing tasks)."
)
_RECORD = gettext_noop("Record the repair you plan; the next two check-ins show whether it held.")
_SWITCH = gettext_noop(
    "Remind the client, without pressure, that they can switch therapist at any time and "
    "that it is not a failure on either side."
)

REPAIR_ACTIONS: dict[AlertKind, tuple[str, ...]] = {
    AlertKind.BOND: (_METACOMMUNICATE, _OWN_PART, _WITHDRAWAL, _RECORD),
    AlertKind.COLLABORATION: (_REVISIT_GOALS, _REVISIT_TASKS, _METACOMMUNICATE, _RECORD),
    AlertKind.NOT_ON_TRACK: (
        gettext_noop(
            "Review progress with the client, showing the chart together; ask what is and is "
            "not helping (feedback-informed care; clinical support tools help not-on-track "
            "clients most, Barkham et al. 2023)."
        ),
        gettext_noop(
            "Check the alliance first: a weak alliance is a common reason for lack of progress."
        ),
        _REVISIT_TASKS,
        gettext_noop("Consider consultation or supervision, and whether the treatment plan fits."),
    ),
    AlertKind.NO_RELIABLE_CHANGE: (
        gettext_noop("Discuss the lack of change openly and ask what the client makes of it."),
        _REVISIT_GOALS,
        _REVISIT_TASKS,
        gettext_noop("Consider a change of approach, intensity, a referral, or supervision."),
    ),
    AlertKind.DETERIORATION: (
        gettext_noop(
            "Review the deterioration with the client soon; explore life events and the work "
            "itself (feedback reduces deterioration, Lambert et al. 2018)."
        ),
        gettext_noop("Check for safety concerns and review the PHQ-9 item 9 answer."),
        _METACOMMUNICATE,
        gettext_noop("Consult a colleague or supervisor about the treatment plan."),
    ),
    AlertKind.AVOIDANCE: (
        gettext_noop(
            "Treat missed or late appointments and silence as possible withdrawal ruptures: "
            "reach out warmly and ask how therapy is going, not why they missed (Safran & Muran)."
        ),
        _WITHDRAWAL,
        gettext_noop(
            "Ask whether the time, format (video, audio, chat, messages) or pace still fits."
        ),
        _SWITCH,
    ),
    AlertKind.CHECKPOINT: (
        gettext_noop(
            "Session-3 checkpoint: early alliance predicts outcome. Make a repair plan now: "
            "discuss how the first sessions felt, revisit goals and tasks."
        ),
        _METACOMMUNICATE,
        _REVISIT_GOALS,
        _SWITCH,
        _RECORD,
    ),
    AlertKind.SAFETY: (
        gettext_noop(
            "Start a structured risk assessment promptly; a positive PHQ-9 item 9 alone is not a "
            "verdict of imminent risk (Simon et al. 2013)."
        ),
        gettext_noop(
            "Agree a safety plan with the client in the six steps of Stanley & Brown (2012): "
            "warning signs, internal coping, people and places that distract, people to ask for "
            "help, professionals and crisis lines, making the environment safe; and note the "
            "client's reasons for living."
        ),
        gettext_noop("Document the assessment and plan; the alert closes only with both."),
    ),
    AlertKind.SAFETY_UNANSWERED: (
        gettext_noop(
            "Ask about the unanswered safety question at your next contact, or sooner: a blank "
            "is not a 'no'."
        ),
        gettext_noop(
            "If the answer is positive, start a structured risk assessment as for a positive "
            "screen (Simon et al. 2013)."
        ),
        gettext_noop("Resolve this alert with a note of what you asked and what you learned."),
    ),
    # A card's actions come from its reasons (card.py); these stand when it has none.
    AlertKind.ATTENTION: (_METACOMMUNICATE, _RECORD),
    AlertKind.REPAIRED: (
        gettext_noop(
            "The pillar is back to the client's own baseline and has held for two check-ins. "
            "Tell the client what you noticed; repaired ruptures predict better outcomes "
            "(Eubanks et al. 2018)."
        ),
    ),
}


# Whole sentences, not assembled from pieces, so each translates as one.
CLIENT_PROMPTS: dict[AlertKind, str] = {
    AlertKind.BOND: gettext_noop(
        "Would you like to talk about how therapy is going? It helps to say what felt right "
        "and what did not; your therapist wants to hear it. You can also switch therapist "
        "at any time, in two clicks."
    ),
    AlertKind.COLLABORATION: gettext_noop(
        "Would you like to talk about how therapy is going? You could look at your goals "
        "together and say which parts of the work feel useful to you."
    ),
    AlertKind.NOT_ON_TRACK: gettext_noop(
        "Would you like to talk about how therapy is going? Looking at your progress "
        "together can help you both decide what to try next."
    ),
    AlertKind.NO_RELIABLE_CHANGE: gettext_noop(
        "Would you like to talk about how therapy is going? It is fine to say if things "
        "feel stuck; there are other ways to work."
    ),
    AlertKind.DETERIORATION: gettext_noop(
        "Would you like to talk about how therapy is going? If things have been harder "
        "lately, your therapist would like to know."
    ),
    AlertKind.AVOIDANCE: gettext_noop(
        "Would you like to talk about how therapy is going? If the time, the format or the "
        "pace no longer suits you, it can change. You can also switch therapist at any time."
    ),
    AlertKind.CHECKPOINT: gettext_noop(
        "A strong working relationship often feels like being understood, working on what "
        "matters to you, and agreeing on how. Would you like to talk about how therapy is "
        "going? If it does not feel right, you can switch therapist at any time, in two "
        "clicks."
    ),
    AlertKind.SAFETY: gettext_noop(
        "Thank you for telling us how you feel. If you are in danger or thinking of ending "
        "your life, please contact a crisis line or your local emergency number now; the "
        "numbers for where you are are shown on this page. This service is not monitored "
        "around the clock."
    ),
    AlertKind.SAFETY_UNANSWERED: gettext_noop(
        "Whenever you are ready, you can talk with your therapist about how therapy is going, "
        "and about any question you preferred not to answer."
    ),
    AlertKind.REPAIRED: gettext_noop(
        "Thank you for your check-ins; they help you and your therapist."
    ),
    AlertKind.ATTENTION: gettext_noop(
        "Would you like to talk about how therapy is going? It helps to say what felt right "
        "and what did not; your therapist wants to hear it. You can also switch therapist "
        "at any time, in two clicks."
    ),
}
