"""The demo therapists' statements: a few plain sentences that follow from each one's
stated ways of working, style and the problems they work with, so the profile page reads
like a real one. Built from values already drawn, so the demo's random sequence is the
same with or without them."""

from __future__ import annotations

from collections.abc import Sequence

from alliance.directory.models import STATEMENT_MAX_CHARS

BY_APPROACH = {
    "cbt": "We look at how thoughts, feelings and habits feed each other, and try small, "
    "practical changes between sessions.",
    "act": "Rather than fighting hard feelings, we work on making room for them and on "
    "doing more of what matters to you.",
    "psychodynamic": "We take time to understand patterns that started long ago and still "
    "shape how you feel and relate to people.",
    "person_centred": "You set the pace and the topics. My job is to listen carefully and "
    "help you hear yourself more clearly.",
    "emdr": "For painful memories I use EMDR, a structured method that helps the mind "
    "process what happened so it hurts less.",
    "dbt": "We practise concrete skills for strong emotions, for getting through a crisis "
    "and for asking for what you need.",
    "systemic": "We look at your family and relationships as a whole, and at how change "
    "in one place ripples through the others.",
    "compassion_focused": "Many people are hardest on themselves. We work on a kinder, "
    "steadier inner voice.",
}
BY_STYLE = {
    "directive": "I am fairly active in sessions: I suggest exercises and we agree on next "
    "steps together.",
    "exploratory": "I follow your lead in sessions and ask questions more than I give advice.",
}
FIRST_SESSION = "In the first session we talk about what brings you and what you hope will change."


def statement_for(approaches: Sequence[str], style: str, specialties: Sequence[str]) -> str:
    """A statement of at most STATEMENT_MAX_CHARS characters (whole sentences only)."""
    names = [s.replace("_", " ") for s in specialties[:3]]
    areas = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    sentences = [f"I work with adults on {areas}." if areas else "I work with adults."]
    sentences += [BY_APPROACH[a] for a in approaches if a in BY_APPROACH]
    if style in BY_STYLE:
        sentences.append(BY_STYLE[style])
    sentences.append(FIRST_SESSION)
    text = ""
    for sentence in sentences:
        longer = f"{text} {sentence}".strip()
        if len(longer) > STATEMENT_MAX_CHARS:
            break
        text = longer
    return text
