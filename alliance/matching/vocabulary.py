"""Fixed vocabularies shared by the rows, the queries and the index.

Problem domains follow the idea of Constantino et al. 2021 (JAMA Psychiatry 78:960), who
profiled therapists across 12 problem domains; their domains came from an outcome measure,
ours are the intake's words for what a client brings, so a domain can be both asked at intake
and measured per therapist.
"""

from __future__ import annotations

from typing import Final

DOMAINS: Final[tuple[str, ...]] = (
    "depression",
    "anxiety",
    "trauma",
    "relationships",
    "grief",
    "substance_use",
    "eating",
    "sleep",
    "work_stress",
    "identity",
    "anger",
    "psychosis_spectrum",
)
DOMAIN_LABELS: Final[dict[str, str]] = {
    "depression": "low mood and depression",
    "anxiety": "anxiety",
    "trauma": "trauma",
    "relationships": "relationships",
    "grief": "grief and loss",
    "substance_use": "alcohol and drug use",
    "eating": "eating difficulties",
    "sleep": "sleep",
    "work_stress": "work stress",
    "identity": "identity",
    "anger": "anger",
    "psychosis_spectrum": "unusual experiences (psychosis spectrum)",
}

# "audio" is an audio-only call in the browser, not the telephone network.
MODALITIES: Final[tuple[str, ...]] = ("video", "audio", "chat", "messaging")
STYLES: Final[tuple[str, ...]] = ("directive", "exploratory")

# Bordin's pillars; a switch reason names one of them, or is practical.
PILLARS: Final[tuple[str, ...]] = ("bond", "goals", "tasks")
SWITCH_REASONS: Final[tuple[str, ...]] = (*PILLARS, "practical")

# Soft preferences a client may state; each is either a must-have (a hard constraint) or a
# nice-to-have (counted in the preference fit).
PREFERENCES: Final[tuple[str, ...]] = (
    "gender",
    "age",
    "faith_informed",
    "lgbtq_affirming",
    "culture",
    "approach",
    "style",
)
PREFERENCE_LABELS: Final[dict[str, str]] = {
    "gender": "therapist gender",
    "age": "therapist age",
    "faith_informed": "faith-informed",
    "lgbtq_affirming": "LGBTQ+-affirming",
    "culture": "cultural background",
    "approach": "approach",
    "style": "style",
}

HOURS_PER_WEEK: Final[int] = 168
ALL_HOURS: Final[int] = (1 << HOURS_PER_WEEK) - 1


def hour_of_week(day: int, hour: int) -> int:
    """Bit position of an hour in UTC: Monday 00:00 UTC is 0, Sunday 23:00 UTC is 167."""
    if not (0 <= day < 7 and 0 <= hour < 24):
        raise ValueError(f"day must be 0..6 and hour 0..23, got day={day}, hour={hour}")
    return day * 24 + hour


def hours_mask(hours: list[int] | tuple[int, ...] | range) -> int:
    """A 168-bit mask with the given hour-of-week positions set."""
    mask = 0
    for h in hours:
        if not 0 <= h < HOURS_PER_WEEK:
            raise ValueError(f"hour of week must be 0..167, got {h}")
        mask |= 1 << h
    return mask
