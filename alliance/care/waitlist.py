"""The waiting list: clients wait when nobody suitable has room; a practice admin runs the
assignment (min-cost flow in the engine, `assign.assign_waiting`) and each result is an
offer the client accepts or declines, never an imposition.

Clients with an open safety alert come first (the engine's safety bonus), and no client with
a feasible therapist should wait past `MAX_WAIT_DAYS`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from alliance.accounts.models import User
from alliance.care import observations
from alliance.care.client_query import query_for, rematch_context
from alliance.care.match_index import current_weights
from alliance.care.models import Intake, MatchOffer, Partnership, WaitlistEntry, WaitlistRound
from alliance.care.offers import MatchingError, choose_therapist
from alliance.care.therapist_rows import fetch_rows
from alliance.matching import ClientQuery, Index, TherapistRow
from alliance.matching.assign import AssignConfig, WaitingClient, assign_waiting
from alliance.matching.vocabulary import PREFERENCE_LABELS


@transaction.atomic
def join_waitlist(*, client: User, intake: Intake) -> WaitlistEntry:
    """Put the client on the waiting list (once); an earlier waiting entry is kept."""
    if intake.client_id != client.pk:
        raise MatchingError(gettext("this intake is not yours"))
    if Partnership.objects.filter(client=client, status=Partnership.Status.ACTIVE).exists():
        raise MatchingError(gettext("you already work with a therapist"))
    User.objects.select_for_update().filter(pk=client.pk).first()
    found = WaitlistEntry.objects.filter(client=client, status=WaitlistEntry.Status.WAITING).first()
    excluded, reason = rematch_context(client)
    if found is not None:
        found.intake = intake
        found.excluded = sorted(excluded)
        found.switch_reason = reason or ""
        found.save(update_fields=["intake", "excluded", "switch_reason"])
        return found
    return WaitlistEntry.objects.create(
        client=client,
        intake=intake,
        joined_at=timezone.now(),
        excluded=sorted(excluded),
        switch_reason=reason or "",
    )


@transaction.atomic
def leave_waitlist(*, client: User) -> int:
    return WaitlistEntry.objects.filter(client=client, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.LEFT, ended_at=timezone.now()
    )


def waiting_entry(client: User) -> WaitlistEntry | None:
    return WaitlistEntry.objects.filter(client=client, status=WaitlistEntry.Status.WAITING).first()


def pending_offers(client: User) -> list[MatchOffer]:
    return list(
        MatchOffer.objects.filter(
            client=client, source=MatchOffer.Source.WAITLIST, status=MatchOffer.Status.SHOWN
        )
        .select_related("therapist__therapist_profile")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class RunReport:
    waiting: int
    offered: int
    without_candidate: int
    due_left: int
    solver_seconds: float


# Any fixed 64-bit number, the same in every worker: the key of the run's advisory lock.
_RUN_LOCK = 0x57A17115


def _one_run_at_a_time() -> None:
    """Hold the waiting-list lock until this transaction ends, so runs follow each other and
    each sees the offers the one before made. PostgreSQL: a transaction-level advisory lock.
    SQLite: every transaction already begins IMMEDIATE (settings), so only one writes at a
    time and this run started with the database's write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_RUN_LOCK])


@transaction.atomic
def run_assignment(*, now: dt.datetime | None = None) -> RunReport:
    """Offer therapists to waiting clients; clients holding an undecided offer are skipped.

    One run at a time (a database lock): a second run started meanwhile waits, then finds
    this run's offers and skips those clients. Places already offered and not yet answered
    are held back, so two clients are not offered the last place; accepting re-checks
    capacity with a row lock anyway, and withdraws the client's other open offers.
    """
    _one_run_at_a_time()
    now = now or timezone.now()
    pending = MatchOffer.objects.filter(
        source=MatchOffer.Source.WAITLIST, status=MatchOffer.Status.SHOWN
    )
    held: dict[int, int] = {}
    for therapist_id in pending.values_list("therapist_id", flat=True):
        held[therapist_id] = held.get(therapist_id, 0) + 1
    busy = set(pending.values_list("client_id", flat=True))
    entries = [
        e
        for e in WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING)
        .select_related("intake__jurisdiction")
        .order_by("joined_at", "id")
        if e.client_id not in busy
    ]
    index = _index_without_held_places(held, now)
    clients = _waiting_clients(entries, now)
    if not clients:
        return RunReport(0, 0, 0, 0, 0.0)
    round_ = WaitlistRound.objects.create(started_at=now, waiting=len(clients))
    config = AssignConfig(
        k=settings.MATCHING_WAITLIST_K, max_wait_days=float(settings.MAX_WAIT_DAYS)
    )
    result = assign_waiting(index, clients, config=config)
    offers = _offers(index, clients, entries, result.offers(), now=now, round_=round_)
    MatchOffer.objects.bulk_create(offers)
    round_.offered = len(offers)
    round_.finished_at = timezone.now()
    round_.save(update_fields=["offered", "finished_at"])
    waiting = (result.therapist_ids < 0) & result.has_candidate
    return RunReport(
        waiting=len(clients),
        offered=len(offers),
        without_candidate=int((~result.has_candidate).sum()),
        due_left=int((waiting & result.due).sum()),
        solver_seconds=result.solver_seconds,
    )


def _index_without_held_places(held: dict[int, int], now: dt.datetime) -> Index:
    """The directory's index with the places already offered and not yet answered taken
    out of each therapist's free capacity."""
    rows = []
    for row in fetch_rows(now=now):
        free = max(0, row.free_capacity - held.get(row.id, 0))
        rows.append(row if free == row.free_capacity else _with_free(row, free))
    return Index.build(rows, version="waitlist", weights=current_weights())


def _waiting_clients(entries: list[WaitlistEntry], now: dt.datetime) -> list[WaitingClient]:
    """Each entry as the engine's waiting client: its query, days waited, open safety alert."""
    safety = observations.open_safety_clients()
    return [
        WaitingClient(
            id=e.pk,
            query=query_for(
                e.intake,
                now=now,
                excluded=e.excluded,
                switch_reason=e.switch_reason or None,
            ),
            waited_days=(now - e.joined_at).total_seconds() / 86400,
            safety_alert=e.client_id in safety,
        )
        for e in entries
    ]


def _offers(
    index: Index,
    clients: list[WaitingClient],
    entries: list[WaitlistEntry],
    assigned: dict[int, int],
    *,
    now: dt.datetime,
    round_: WaitlistRound,
) -> list[MatchOffer]:
    """One offer per assigned entry (entry id -> therapist id), explained as a live match."""
    by_id = {e.pk: e for e in entries}
    offers = []
    for entry_id, therapist_id in assigned.items():
        entry = by_id[entry_id]
        query = next(c.query for c in clients if c.id == entry_id)
        reasons, unmet, score = _explain(index, query, therapist_id)
        offers.append(
            MatchOffer(
                client_id=entry.client_id,
                therapist_id=therapist_id,
                intake=entry.intake,
                source=MatchOffer.Source.WAITLIST,
                rank=1,
                score=score,
                reasons=reasons,
                unmet=unmet,
                weights_version=index.weights.version,
                index_version="waitlist-" + now.strftime("%Y%m%dT%H%M"),
                switch_reason=entry.switch_reason,
                waitlist_round=round_,
            )
        )
    return offers


def _with_free(row: TherapistRow, free: int) -> TherapistRow:
    return replace(row, free_capacity=free)


def _explain(
    index: Index, query: ClientQuery, therapist_id: int
) -> tuple[list[str], list[str], float]:
    """The reasons for one offered therapist, as a live match would show them."""
    for match in index.search(query, k=min(max(index.size, 1), 200)).matches:
        if match.therapist_id == therapist_id:
            return (
                [r.text for r in match.reasons],
                [str(PREFERENCE_LABELS.get(u, u)) for u in match.unmet],
                float(match.score),
            )
    return [], [], 0.0


@transaction.atomic
def accept_offer(*, client: User, offer: MatchOffer) -> Partnership:
    """Accept a waiting-list offer: the same capacity check as choosing a live match."""
    if offer.source != MatchOffer.Source.WAITLIST:
        raise MatchingError(gettext("this is not a waiting-list offer"))
    return choose_therapist(client=client, offer=offer)


@transaction.atomic
def decline_offer(*, client: User, offer: MatchOffer) -> MatchOffer:
    """Decline: the client keeps their place on the waiting list."""
    if offer.client_id != client.pk:
        raise MatchingError(gettext("this offer is not yours"))
    locked = MatchOffer.objects.select_for_update().get(pk=offer.pk)
    if locked.status != MatchOffer.Status.SHOWN:
        raise MatchingError(gettext("this offer has already been answered"))
    locked.status = MatchOffer.Status.DECLINED
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_at"])
    return locked
