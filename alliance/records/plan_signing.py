"""The client answers their treatment plan: they agree and sign it, or they disagree.

The plan is shown as one text (its diagnoses with their descriptions, since a client has the
right to read their diagnosis, the goals in their current wording, objectives,
interventions, frequency and review date). Its SHA-256 goes into the form and is checked when
the form comes back, so an agreement is bound to exactly what was on the screen, as
records/signing.py binds a document's signature. Only the current version is answered. A
disagreement is kept as such, with the client's comment, and the monitor reads it as a
collaboration signal (records/alert_signals.py).
"""

from __future__ import annotations

import hmac

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care.models import Partnership
from alliance.records.documents import sha256
from alliance.records.errors import RecordsError
from alliance.records.plan_models import PlanResponse, PlanVersion, TreatmentPlan
from alliance.records.plans import TEXT_MAX_CHARS, current_version
from alliance.records.signing import check_name


def statement() -> str:
    return _(
        "I have read this treatment plan, I agree to it, and I sign it electronically by "
        "typing my name."
    )


def shown_text(version: PlanVersion) -> str:
    """The plan as the client reads it: what a signature's hash is taken of."""
    parts = [
        _("Treatment plan, version %(n)d, written %(d)s")
        % {"n": version.number, "d": version.written_at.date().isoformat()}
    ]
    for d in version.diagnoses.all():
        line = f"{d.code} {d.description}"
        parts.append(_("Diagnosis (primary): %(d)s") % {"d": line} if d.primary else line)
    if version.presenting_problems:
        parts.append(_("Presenting problems: %(t)s") % {"t": version.presenting_problems})
    for entry in version.plan_goals.all():
        parts.append(_("Goal: %(t)s") % {"t": entry.goal.title})
        parts += [
            _("Objective: %(t)s, by %(d)s") % {"t": o.text, "d": o.target_on.isoformat()}
            for o in entry.objectives.all()
        ]
    if version.interventions:
        parts.append(_("Interventions: %(t)s") % {"t": version.interventions})
    parts.append(_("We meet: %(f)s") % {"f": version.frequency_text})
    parts.append(_("We review this plan by %(d)s") % {"d": version.review_on.isoformat()})
    parts.append(statement())
    return "\n\n".join(str(p) for p in parts)


@transaction.atomic
def respond(
    *,
    client: User,
    version: PlanVersion,
    agree: bool,
    shown_sha256: str,
    typed_name: str = "",
    agreed_statement: bool = False,
    comment: str = "",
    user_agent: str = "",
) -> PlanResponse:
    """Record the client's agreement (signed) or disagreement (with a comment); refused,
    changing nothing, for someone else's plan, an out-of-date version, a text that is not
    the one shown, or missing intent."""
    plan = (
        TreatmentPlan.objects.select_for_update()
        .select_related("partnership")
        .get(pk=version.plan_id)
    )
    if client.pk != plan.partnership.client_id:
        raise RecordsError(_("Only the client answers their own treatment plan."))
    if plan.partnership.status != Partnership.Status.ACTIVE:
        raise RecordsError(_("This partnership has ended; its plan can no longer be signed."))
    current = current_version(plan.partnership)
    if current is None or current.pk != version.pk:
        raise RecordsError(
            _("This plan has a newer version. Read the new version and answer that one.")
        )
    if any(r.agreed for r in current.responses.all()):
        raise RecordsError(_("You have already agreed to this version of the plan."))
    shown = shown_text(current)
    if not hmac.compare_digest(sha256(shown), shown_sha256 or ""):
        raise RecordsError(
            _("The plan changed while you were reading it. Read it again and answer.")
        )
    comment = comment.strip()
    if len(comment) > TEXT_MAX_CHARS:
        raise RecordsError(
            _("A comment can be at most %(n)d characters; this has %(m)d.")
            % {"n": TEXT_MAX_CHARS, "m": len(comment)}
        )
    name = ""
    if agree:
        name = check_name(client, typed_name)
        if not agreed_statement:
            raise RecordsError(_("Tick the statement to show that you agree and sign."))
    elif not comment:
        raise RecordsError(_("Say what you disagree with, so your therapist can talk it over."))
    return PlanResponse.objects.create(
        version=current,
        client=client,
        agreed=agree,
        typed_name=name,
        statement=statement() if agree else "",
        shown_sha256=sha256(shown),
        comment=comment,
        at=timezone.now(),
        user_agent=user_agent[:300],
    )
