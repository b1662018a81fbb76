"""Versioned consent texts. Changing a text means a new version: clients consent again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ConsentText:
    kind: str
    version: str
    title: str | Promise
    paragraphs: tuple[str | Promise, ...]

    @property
    def sha256(self) -> str:
        body = "\n".join(str(p) for p in (self.title, *self.paragraphs))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


TELEHEALTH = ConsentText(
    kind="telehealth",
    version="2026-11",
    title=_("Consent to online therapy"),
    paragraphs=(
        _(
            "Therapy here happens by video, audio, live chat and messages. Calls travel "
            "directly between your device and your therapist's, encrypted by your browser. "
            "Messages, notes and journal entries are stored encrypted on our servers; they "
            "are not end-to-end encrypted, and the practice can decrypt them to run the "
            "service."
        ),
        _(
            "What you share is confidential, with legal limits: your therapist may have to "
            "act, and may contact your emergency contact or emergency services, if you or "
            "someone else is at serious risk of harm, if a child or vulnerable adult is at "
            "risk, or if a court orders it."
        ),
        _(
            "This service is not monitored around the clock and is not an emergency "
            "service. If you are in danger or thinking about ending your life, call your "
            "local emergency number or a crisis line now; they are listed on every page "
            "under “Get help now”."
        ),
        _(
            "In an emergency during a session, your therapist will use the location you "
            "confirm when the session starts and the emergency contact you give us."
        ),
        _(
            "After each session you will be asked a few questions about how it went. Your "
            "answers are shown to your therapist, help the practice notice when therapy is "
            "not helping, and feed the matching of future clients and your therapist's "
            "record, which the practice reviews only as anonymous, statistically adjusted "
            "summaries."
        ),
        _(
            "Your private journal entries stay private: they are checked for crisis words "
            "only to show you help straight away, and never alert anyone. Entries you choose "
            "to share are read by your therapist and follow the same safety rules as "
            "messages."
        ),
        _(
            "You can change therapist at any time, free of charge, and you can withdraw this "
            "consent, export your data or ask for it to be erased from your settings page."
        ),
    ),
)

TEXTS = {TELEHEALTH.kind: TELEHEALTH}


def current(kind: str) -> ConsentText:
    return TEXTS[kind]


def current_version(kind: str) -> str:
    return TEXTS[kind].version
