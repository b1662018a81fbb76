from __future__ import annotations

import re

from alliance.measures.alerts import AlertKind
from alliance.measures.alerts.texts import CLIENT_PROMPTS, REPAIR_ACTIONS

CLINICAL_LABELS = re.compile(
    r"ruptur|risk|deteriorat|alert|not on track|off track|caseness|phq|gad|suicid|"
    r"avoidance|withdraw|score|band|severity|symptom",
    re.IGNORECASE,
)


def test_every_kind_has_repair_actions_and_a_client_prompt():
    for kind in AlertKind:
        assert REPAIR_ACTIONS[kind]
        assert CLIENT_PROMPTS[kind]


def test_client_prompts_carry_no_clinical_labels():
    for kind, prompt in CLIENT_PROMPTS.items():
        assert not CLINICAL_LABELS.search(prompt), kind


def test_rupture_prompts_invite_a_conversation():
    for kind in AlertKind:
        if kind not in (AlertKind.SAFETY, AlertKind.REPAIRED):
            assert "how therapy is going" in CLIENT_PROMPTS[kind]
