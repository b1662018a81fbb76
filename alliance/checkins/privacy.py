"""Check-ins and alerts in a client's export (see privacy/rights.py).

Scores stay as the clinical outline after erasure; the free-text comment is encrypted with
the client's data key and is shredded with it.

Every response is exported, corrected ones too: a response replaced by a correction keeps
its row, and the export says when it was superseded and by which response.
"""

from __future__ import annotations

from typing import Any

from alliance.accounts.models import User
from alliance.checkins import instruments as lookup
from alliance.checkins.export import _result
from alliance.checkins.models import ClientRisk, Response
from alliance.measures import fhir


def _responses(user: User) -> Any:
    """All of the client's responses, superseded ones included (nothing is left out)."""
    return Response.objects.filter(partnership__client=user, respondent=user).order_by("id")


def export_client(user: User) -> dict[str, Any]:
    return {
        "responses": [
            {
                "id": r.pk,
                "partnership": r.partnership_id,
                "instrument": r.instrument_id,
                "session": r.session_number,
                "submitted_at": r.submitted_at.isoformat(),
                "answers": r.answers,
                "total": r.total,
                "subscales": r.subscales,
                "comment": r.comment,
                "superseded_at": r.superseded_at.isoformat() if r.superseded_at else None,
                "superseded_by": r.superseded_by_id,
            }
            for r in _responses(user)
        ],
        # What the monitor estimates about the client, and from what (profiling, GDPR
        # Art. 15(1)(h)): the latest risk of each active partnership, with its reasons.
        "monitor_risk": [
            {
                "partnership": r.partnership_id,
                "probability": r.probability,
                "session": r.session,
                "reasons": r.reasons,
                "model": r.model_source,
                "computed_at": r.computed_at.isoformat(),
            }
            for r in ClientRisk.objects.filter(partnership__client=user).order_by("pk")
        ],
    }


def fhir_resources(user: User, patient_ref: str) -> list[dict[str, Any]]:
    """A QuestionnaireResponse and its Observations (LOINC-coded totals) per answer set."""
    resources: list[dict[str, Any]] = []
    for response in _responses(user):
        inst = lookup.instrument(response.instrument_id)
        result = _result(response)
        rid = f"alliance-response-{response.pk}"
        authored = response.submitted_at.isoformat()
        resources.append(
            fhir.questionnaire_response(
                inst, result, response_id=rid, subject=patient_ref, authored=authored
            )
        )
        resources.extend(
            fhir.observations(
                inst, result, response_id=rid, subject=patient_ref, effective=authored
            )
        )
    return resources
