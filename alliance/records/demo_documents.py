"""Demo documents: the practice's informed consent (in its second version, so some clients
signed the first and were asked again), telehealth consent, privacy notice, financial policy
and release of information; the clients of the sampled partnerships have signed what is
required, and the demo client has a release in force to another clinic.

Clients outside the sample have not signed yet: logging in as one, booking asks for the
signatures first, as it would for a new client.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from alliance.accounts.models import User
from alliance.core.demo import DemoContext
from alliance.goals.demo import sample_partnerships
from alliance.records import documents, signing
from alliance.records.models import Document, DocumentVersion

CONSENT_V1 = (
    "Therapy with us is voluntary: you may stop at any time, and change therapist for free.\n\n"
    "What you tell your therapist is confidential, except where the law requires us to act: "
    "a serious risk to your life or someone else's, or the abuse of a child or a vulnerable "
    "adult.\n\nSessions are held online. Your therapist keeps notes of each session."
)
CONSENT_V2 = CONSENT_V1 + (
    "\n\nBetween sessions you rate each session in a minute; your therapist sees the ratings "
    "and uses them to adjust the work with you."
)
DOCUMENTS = (
    (
        "telehealth_consent",
        "Telehealth consent",
        True,
        (
            "Sessions are held by video, audio or chat from a private place of your choosing. "
            "If a call drops, your therapist calls you back on the number you gave."
        ),
    ),
    (
        "privacy_notice",
        "Privacy notice",
        False,
        (
            "We keep your record for seven years after our last contact, encrypted. You can read "
            "it, download it and ask us to correct it at any time."
        ),
    ),
    (
        "financial_policy",
        "Financial policy",
        False,
        (
            "Fees are shown before you book. Cancelling less than 24 hours before a session costs "
            "the late-cancellation fee; changing therapist never costs anything."
        ),
    ),
    (
        "release_of_information",
        "Release of information",
        False,
        (
            "I allow the practice to send my clinical record to the person or organisation named "
            "below, for the purpose and until the date given. I can revoke this at any time."
        ),
    ),
)


def _sign(client: User, version: DocumentVersion, **release: object) -> None:
    signing.sign(
        client=client,
        version=version,
        typed_name=client.display_name,
        agreed=True,
        electronic=True,
        shown_sha256=documents.sha256(signing.shown_text(version)),
        release=signing.Release(**release) if release else None,  # type: ignore[arg-type]
    )


def run(ctx: DemoContext) -> None:
    admin = User.objects.filter(role=User.Role.ADMIN).order_by("id").first()
    if admin is None:
        return
    consent = documents.create_document(
        kind=Document.Kind.INFORMED_CONSENT,
        title="Informed consent",
        body=CONSENT_V1,
        required_before_booking=True,
        by=admin,
    )
    made = {
        kind: documents.create_document(
            kind=kind, title=title, body=body, required_before_booking=required, by=admin
        )
        for kind, title, required, body in DOCUMENTS
    }
    first = documents.current_version(consent)
    clients = list(dict.fromkeys(p.client for p in sample_partnerships(ctx)))
    # A few signed the first consent before the second version was published.
    for client in clients[1:4]:
        if first is not None:
            _sign(client, first)
    documents.publish_version(document=consent, body=CONSENT_V2, by=admin)
    for client in clients:
        for version in documents.to_sign(client):
            _sign(client, version)
    release = documents.current_version(made["release_of_information"])
    if clients and release is not None:
        _sign(
            clients[0],
            release,
            recipient="Dr Lena Park, Northside Family Clinic, records@northside.example",
            purpose="Continuing care after a move",
            expires_on=timezone.localdate() + dt.timedelta(days=120),
        )
