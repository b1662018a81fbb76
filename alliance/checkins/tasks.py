"""Background tasks of the alliance monitor (they take ids, reload, and are idempotent)."""

from __future__ import annotations

from django_tasks import task

from alliance.checkins import evaluation, risk_model, safety


@task()
def evaluate_alerts(partnership_id: int) -> dict[str, int]:
    """Incremental: re-run the alert rules for one partnership after a new event. A history
    that cannot be evaluated is recorded (`AlertEvaluationFailure`) and reported as
    `failed`; the task itself still finishes, so the queue moves on."""
    summary = evaluation.evaluate_partnerships([partnership_id])
    return {
        "raised": summary.raised,
        "updated": summary.updated,
        "repaired": summary.repaired,
        "failed": summary.failed,
    }


@task()
def escalate_safety_alerts() -> list[int]:
    """Every minute: escalate unacknowledged safety alerts to every on-call clinician."""
    return safety.escalate_unacknowledged()


@task()
def refit_and_recompute() -> dict[str, int]:
    """Every night: refit the risk model on the practice's history (once it has enough
    events), then re-evaluate every active partnership, so each caseload's cards and budget
    follow the model in use."""
    fit = risk_model.refit()
    summary = evaluation.recompute_all()
    return {
        "refitted": int(fit is not None),
        "partnerships": summary.partnerships,
        "raised": summary.raised,
        "closed": summary.closed,
        "failed": summary.failed,
    }
