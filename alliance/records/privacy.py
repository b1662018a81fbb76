"""Records in a client's export, and what erasure does to them.

The export lists every treatment plan version with the client's answers (plans.py), and every
document the client signed, with the evidence of the signature and
any release's recipient, purpose and end; the signed copies themselves are downloaded from
the documents page.

Erasure keeps the signature rows (that this account signed which version when, and the hash
of what was shown), because a practice must be able to show that consent was given (GDPR
art. 17(3)(e)). The typed name and browser are blanked like the account's name; the signed
copy and a release's recipient and purpose are encrypted with the client's data key, which
erasure destroys, so they can no longer be read.
"""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.records import plans
from alliance.records.models import Signature
from alliance.records.record_export import signature_reference


def export_client(user: User) -> dict[str, Any]:
    return {
        "signed_documents": [
            {
                "document": s.version.document.title,
                "kind": s.version.document.kind,
                "version": s.version.number,
                "signed_at": s.signed_at.isoformat(),
                "typed_name": s.typed_name,
                "statement": s.statement,
                "electronic_records_consent": s.electronic_records_consent,
                "shown_sha256": s.shown_sha256,
                "release": {
                    "recipient": str(s.recipient),
                    "purpose": str(s.purpose),
                    "expires_on": s.expires_on.isoformat() if s.expires_on else None,
                    "revoked_at": s.revoked_at.isoformat() if s.revoked_at else None,
                }
                if s.release
                else None,
            }
            for s in Signature.objects.filter(client=user).select_related("version__document")
        ],
        **plans.export_plans(user),
    }


def erase_client(user: User) -> dict[str, int]:
    kept = Signature.objects.filter(client=user).update(typed_name="", user_agent="")
    return {"signatures_kept_as_evidence_of_consent": kept, **plans.erase_plans(user)}


def fhir_resources(user: User, patient_ref: str) -> list[dict[str, Any]]:
    """Each signed document as a DocumentReference with its PDF, in the FHIR export."""
    return [
        signature_reference(s, patient_ref)
        for s in Signature.objects.filter(client=user).select_related("version__document")
    ]
