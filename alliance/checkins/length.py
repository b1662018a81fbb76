"""How long a check-in takes, as the client is told it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import ngettext

from alliance.checkins import instruments as instrument_lookup

# How long a check-in takes, as the client is told it: SECONDS_PER_QUESTION for each question
# with answers to choose (optional comment boxes are not counted). This is an assumption for
# honest wording, not a measured figure: the 6 check-in questions come to 30 s ("under a
# minute"), a check-in with PHQ-9 and GAD-7 (6 + 10 + 7 questions) to 115 s ("about 2 minutes").
SECONDS_PER_QUESTION = 5


@dataclass(frozen=True)
class CheckinLength:
    """Questions per part (one part per questionnaire, in the order asked)."""

    parts: tuple[int, ...]

    @property
    def questions(self) -> int:
        return sum(self.parts)

    @property
    def seconds(self) -> int:
        return self.questions * SECONDS_PER_QUESTION

    @property
    def under_a_minute(self) -> bool:
        return self.seconds < 60

    @property
    def minutes(self) -> int:
        """Rounded up past each whole minute: 60 to 119 seconds is "about 2 minutes" (so a
        longer check-in is never "about 1 minutes", and never promised shorter than it is)."""
        return self.seconds // 60 + 1

    def sentence(self) -> str:
        """How long today's check-in takes, in the reader's language."""
        if self.under_a_minute:
            return ngettext(
                "Today's check-in has one question and takes under a minute.",
                "Today's check-in has %(questions)s questions and takes under a minute.",
                self.questions,
            ) % {"questions": self.questions}
        # Past a minute there are at least 12 questions and 2 minutes: plural in English and
        # Spanish; only the number of parts can be one.
        return ngettext(
            "Today's check-in has one part, %(questions)s questions, about %(minutes)s minutes.",
            "Today's check-in has %(parts)s short parts, %(questions)s questions, about "
            "%(minutes)s minutes.",
            len(self.parts),
        ) % {"parts": len(self.parts), "questions": self.questions, "minutes": self.minutes}


def checkin_length(instrument_ids: list[str]) -> CheckinLength:
    """The length of a check-in asking these questionnaires, from their item counts."""
    parts = []
    for instrument_id in instrument_ids:
        try:
            inst = instrument_lookup.instrument(instrument_id)
        except instrument_lookup.UnknownInstrument:
            continue
        parts.append(sum(1 for item in inst.items if item.kind != "text"))
    return CheckinLength(tuple(parts))
