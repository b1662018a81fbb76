from __future__ import annotations

import pytest

from alliance.measures.alerts.crisis_language import detect, phrases


@pytest.mark.parametrize(
    "text",
    [
        "Sometimes I want to kill myself.",
        "I feel suicidal tonight",
        "Honestly I don’t want to live anymore",
        "everyone would be better off without me",
        "I've been cutting myself again",
        "I would never kill myself",  # negated intent is still reported: a human reads it
        "Me quiero morir",
        "No quiero seguir viviendo",
        "He pensado en el suicidio",
        "pienso en hacerme daño",
        "estaría mejor muerta",
    ],
)
def test_crisis_phrases_are_found(text):
    assert detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal, just tired",
        "I am not feeling suicidal",
        "No soy suicida, solo estoy cansada",
        "The session went well and I enjoyed the homework",
        "I could die laughing at that film",  # no pattern for this idiom
        "Killing time before work",
    ],
)
def test_ordinary_or_negated_text_is_not_flagged(text):
    assert detect(text) == ()


def test_negation_only_covers_its_own_phrase():
    assert phrases("I'm not suicidal but I want to die") == ("want to die",)


def test_matches_report_language_and_position_in_normalised_text():
    [match] = detect("Ayer pensé en  MATARME")
    assert (match.language, match.phrase) == ("es", "matarme")
    assert match.start == len("ayer pense en ")
