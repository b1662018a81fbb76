"""A small rule-based detector of crisis language in English and Spanish.

Rule-based only: fixed word and phrase patterns, no statistical model. It is deliberately
conservative in the safe direction: it prefers a false alarm to a miss, so it only
discounts the plainest negations of a *state* ("not suicidal", "no soy suicida") and never
negations of an intent phrase ("I would never kill myself" is still reported: a human reads
it). Text is lower-cased and stripped of accents first, so "suicidio" and "suicídio",
"dano" and "daño" match alike. A match starts a human review, never an automatic verdict.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Each pattern matches on normalised text (lower case, no accents, single spaces).
_EN = (
    r"suicid(?:e|al|ality)",
    r"kill(?:ing)? myself",
    r"end(?:ing)? (?:my|it) (?:life|all)",
    r"end it all",
    r"take my (?:own )?life",
    r"(?:want|wanna|wanted|going) (?:to )?die",
    r"wish (?:i|i'd) (?:was|were|had) (?:dead|never been born)",
    r"better off (?:dead|without me)",
    r"no (?:reason|point) (?:to|in) (?:live|living|going on)",
    r"(?:do ?n't|do not|don't) want to (?:live|be alive|be here|wake up)",
    r"not worth living",
    r"can'?t go on",
    r"(?:hurt|harm|cut|cutting|hurting|harming) myself",
    r"self[- ]?harm(?:ing)?",
    r"overdos(?:e|ing)",
    r"hang myself",
)
_ES = (
    r"suicid(?:io|a|arme|arse)",
    r"matarme",
    r"quitarme la vida",
    r"acabar con (?:mi vida|todo)",
    r"(?:me )?quiero morir(?:me)?",
    r"quisiera (?:morir(?:me)?|estar muert[oa])",
    r"no quiero (?:seguir )?(?:vivir|viviendo|despertar)",
    r"(?:estaria|estarian|estarias) mejor(?:es)? (?:muert[oa]s?|sin mi)",
    r"mejor muert[oa]",
    r"no vale la pena vivir",
    r"(?:hacerme|me hago) dano",
    r"lastimarme",
    r"(?:cortarme|me corto)",
    r"autolesion(?:es|arme)?",
    r"sobredosis",
    r"ahorcarme",
    r"no puedo (?:mas|seguir)",
)

# Plain negations of a state word only: "not suicidal", "never suicidal", "no soy suicida".
_NEGATED_STATE = re.compile(
    r"\b(?:not|never|n't|no longer)\s+(?:(?:feeling|feel|been|being)\s+)?suicidal\b"
    r"|\bno\s+(?:soy|estoy|me siento)\s+suicida\b"
)


@dataclass(frozen=True)
class CrisisMatch:
    phrase: str
    language: str
    start: int
    end: int


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


_PATTERNS = (("en", _compile(_EN)), ("es", _compile(_ES)))


def normalise(text: str) -> str:
    """Lower case, accents stripped, typographic apostrophes straightened, spaces collapsed.
    Stripping accents keeps the length of Latin text, so offsets refer to it."""
    text = text.replace("’", "'").replace("‘", "'")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", stripped)


def detect(text: str) -> tuple[CrisisMatch, ...]:
    """Crisis phrases found in ``text``, in order of appearance (offsets refer to the
    normalised text). Empty when none are found."""
    norm = normalise(text)
    negated = [m.span() for m in _NEGATED_STATE.finditer(norm)]
    found: list[CrisisMatch] = []
    for language, pattern in _PATTERNS:
        for m in pattern.finditer(norm):
            if any(start <= m.start() and m.end() <= end for start, end in negated):
                continue
            found.append(CrisisMatch(m.group(0), language, m.start(), m.end()))
    found.sort(key=lambda c: (c.start, c.end))
    return tuple(found)


def phrases(text: str) -> tuple[str, ...]:
    """The matched phrases only, de-duplicated in order: what a ``CrisisFlag`` carries."""
    return tuple(dict.fromkeys(m.phrase for m in detect(text)))
