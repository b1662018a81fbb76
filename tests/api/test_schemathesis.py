"""The API against its own OpenAPI schema, with every check schemathesis ships.

schemathesis runs its whole engine (coverage, fuzzing and stateful phases; valid and invalid
data) against a live ASGI server, as anonymous, as a client and as their therapist, with an
unrelated therapist as the peer who must never see their objects. Each run starts from the
same seeded data: a partnership with a goal, a task, a journal entry, a check-in response, an
appointment, a match offer and a week of availability.

What every request must show, whoever sends it:
- no server error; the status, the content type, the headers and the body are documented;
- data the schema calls invalid is refused (400, 401, 403, 404, 409, 422 or 429), and data it
  calls valid is not refused as invalid (never 400 or 422);
- a method the schema does not list gets 405 with `Allow`; credentials are really checked
  (the same request without them, or with made-up ones, is refused);
- a resource just created can be read back; another identity never reads it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.utils import timezone
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.engine import events, from_schema

from tests.checkins.conftest import good_checkin
from tests.conftest import logged_in, make_appointment

CSRF = "a" * 32  # a valid CSRF secret: sent as both cookie and header
ROLES = ("anonymous", "client", "therapist")
# Generated cases per operation and phase. Enough for the coverage phase's boundary values
# and a few rounds of each kind of invalid data on 2 cores; a deeper local run sets more.
MAX_EXAMPLES = 10
STATEFUL_STEPS = 6
# The rate limits stay on in the server under test, but far above what one run sends: a 429
# is documented on every operation, and is not what this run is about.
NO_LIMIT = "1000000/m"


@dataclass(frozen=True)
class Seeded:
    path: dict[str, int]
    body: dict[str, Any]


@pytest.fixture
def seeded(transactional_db, partnership, client_user, their_therapist) -> Seeded:
    from alliance.care.models import MatchOffer
    from alliance.checkins import services as checkins
    from alliance.directory.models import AvailabilityWindow
    from alliance.goals import services as goals
    from alliance.journal import services as journal

    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(
            therapist=their_therapist.therapist_profile,
            weekday=day,
            start=dt.time(8),
            end=dt.time(20),
        )
        for day in range(7)
    )
    goal = goals.propose_goal(partnership=partnership, by=client_user, title="Sleep better")
    task = goals.propose_task(
        partnership=partnership,
        by=their_therapist,
        title="Walk after lunch",
        due_on=timezone.localdate() + dt.timedelta(days=7),
        goal=goal,
    )
    entry = journal.write_entry(client=client_user, body="A quiet day").entry
    response = checkins.submit_response(
        partnership=partnership,
        respondent=client_user,
        instrument_id="alliance_checkin",
        answers=good_checkin(5),
    ).response
    appointment = make_appointment(partnership, timezone.now() + dt.timedelta(days=3))
    offer = MatchOffer.objects.create(
        client=client_user, therapist=their_therapist, rank=1, score=0.5, weights_version="v1"
    )
    # Three days ahead at 10:00 in the therapist's zone: inside the availability above.
    zone = their_therapist.therapist_profile.timezone
    day = timezone.localdate() + dt.timedelta(days=3)
    from zoneinfo import ZoneInfo

    free = dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo(zone))
    return Seeded(
        path={
            "partnership_id": partnership.pk,
            "pk": partnership.pk,
            "goal_id": goal.pk,
            "task_id": task.pk,
            "entry_id": entry.pk,
            "response_id": response.pk,
            "appointment_id": appointment.pk,
            "offer_id": offer.pk,
        },
        # Values whose validity rests on stored data or on today's date, which no schema can
        # say: the partnership and goal to refer to, a due date and a bookable time, the
        # jurisdiction the practice serves, and answers the instrument accepts (each item's
        # own rules are the check-in service's, tests/api/test_item_values.py).
        body={
            "partnership_id": partnership.pk,
            "goal_id": goal.pk,
            "due_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
            "starts_at": free.isoformat(),
            "jurisdiction": "US-NY",
            "answers": good_checkin(5),
        },
    )


def identity(user) -> dict[str, str]:
    browser = logged_in(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}; csrftoken={CSRF}"
    return {"Cookie": cookie, "X-CSRFToken": CSRF}


def wfc_document(users: dict[str, Any]) -> dict[str, Any]:
    """Web Fuzzing Commons auth: each identity's fixed headers (a session and CSRF token)."""
    return {
        "auth": [
            {
                "name": name,
                "fixedHeaders": [{"name": k, "value": v} for k, v in identity(u).items()],
            }
            for name, u in users.items()
        ]
    }


@dataclass
class Finding:
    operation: str
    check: str
    title: str
    message: str
    reproduce: str

    def __str__(self) -> str:
        return f"{self.operation} [{self.check}] {self.title}: {self.message}\n  {self.reproduce}"


@dataclass
class Run:
    findings: list[Finding]
    errors: list[str]
    # Statuses each operation answered in the coverage and fuzzing phases, by its label.
    statuses: dict[str, set[int]]
    phases: dict[str, str]

    def then(self, other: Run) -> Run:
        """This run followed by `other`; a phase `other` skipped keeps this run's outcome."""
        statuses = {
            k: self.statuses.get(k, set()) | other.statuses.get(k, set())
            for k in {*self.statuses, *other.statuses}
        }
        return Run(
            self.findings + other.findings,
            self.errors + other.errors,
            statuses,
            {**self.phases, **{k: v for k, v in other.phases.items() if v != "skip"}},
        )


SWITCH = "/api/care/switch"


def run(schema: Any) -> Run:
    findings: dict[tuple[str, str, str], Finding] = {}
    errors: list[str] = []
    statuses: dict[str, set[int]] = {}
    phases: dict[str, str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseFinished):
            phases[event.phase.name.value] = event.status.value
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            if event.phase.value in {"coverage", "fuzzing"}:
                seen = statuses.setdefault(recorder.label, set())
                for interaction in recorder.interactions.values():
                    if interaction.response is not None:
                        seen.add(interaction.response.status_code)
            for checks in recorder.checks.values():
                for check in checks:
                    info = check.failure_info
                    if info is None:
                        continue
                    failure = info.failure
                    found = Finding(
                        recorder.label,
                        check.name,
                        failure.title,
                        " / ".join(str(failure.message).splitlines()),
                        info.code_sample.replace("\n", " "),
                    )
                    findings.setdefault((found.operation, found.check, found.reproduce), found)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return Run(list(findings.values()), errors, statuses, phases)


def config_for(
    role: str, seeded: Seeded, wfc_path: str, *, stateful: bool = True
) -> schemathesis.Config:
    answers_for = {"therapist": "alliance_checkin_therapist"}
    data: dict[str, Any] = {
        "seed": 20240501,
        # Nothing kept between runs: each starts from the same seed and the same data.
        "cache": {"enabled": False},
        "workers": 1,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {"stateful": {"enabled": stateful, "max-steps": STATEFUL_STEPS}},
        "parameters": {
            **{f"path.{name}": value for name, value in seeded.path.items()},
            **{f"body.{name}": value for name, value in seeded.body.items()},
            "body.instrument_id": answers_for.get(role, "alliance_checkin"),
        },
    }
    if role != "anonymous":
        # The peer is an unrelated therapist: `object_level_authorization` replays each read
        # the caller makes as them, and they must get none of it.
        data["auth"] = {"wfc": {"path": wfc_path, "user": role, "peers": [role, "stranger"]}}
    return schemathesis.Config.from_dict(data)


@pytest.fixture
def api_server(asgi_server_factory):
    return asgi_server_factory(extra_env={"API_RATE_ANON": NO_LIMIT, "API_RATE_USER": NO_LIMIT})


# Operations each signed-in role must have carried out at least once (a 2xx): the run reached
# the API's logic and not only its refusals.
MUST_SUCCEED = {
    "client": {
        "GET /api/me",
        "POST /api/goals/partnerships/{pk}/goals",
        "POST /api/goals/partnerships/{pk}/tasks",
        "POST /api/goals/tasks/{task_id}/agree",
        "POST /api/journal/entries",
        "POST /api/journal/entries/{entry_id}/share",
        "POST /api/checkins/responses",
        "POST /api/schedule/appointments",
        "POST /api/care/switch",
        "POST /api/care/intake",
        "GET /api/care/matches",
    },
    "therapist": {
        "GET /api/me",
        "POST /api/goals/partnerships/{pk}/goals",
        "POST /api/goals/goals/{goal_id}/agree",
        "POST /api/goals/partnerships/{pk}/tasks",
        "GET /api/journal/partnerships/{pk}/entries",
        "POST /api/checkins/responses",
        "POST /api/schedule/appointments",
    },
    "anonymous": {"GET /api/health"},
}


def schema_for(server: Any, config: schemathesis.Config) -> Any:
    return schemathesis.openapi.from_url(f"{server.url}/api/openapi.json", config=config)


@pytest.mark.parametrize("role", ROLES)
def test_api_keeps_to_its_schema(
    role, seeded, api_server, client_user, their_therapist, other_therapist, tmp_path
):
    # given every check schemathesis ships, each enabled
    load_all_checks()
    wfc = tmp_path / "wfc.json"
    users = {"client": client_user, "therapist": their_therapist, "stranger": other_therapist}
    wfc.write_text(json.dumps(wfc_document(users)))
    config = config_for(role, seeded, str(wfc))
    checks = config.projects.get_default().checks_config_for()
    assert set(CHECKS.get_all_names()) >= {"positive_data_acceptance", "ignored_auth"}
    assert all(checks.get_by_name(name=name).enabled for name in CHECKS.get_all_names())

    # when the whole engine runs against the live server
    schema = schema_for(api_server, config)
    if role == "client":
        # A switch ends the partnership every other operation works in, so the care
        # lifecycle (switch, then intake, matches, choosing, the waiting list) runs after
        # the rest, from the state the first run left.
        care = schema_for(api_server, config_for(role, seeded, str(wfc), stateful=False))
        result = run(schema.exclude(path=SWITCH)).then(run(care.include(path_regex="^/api/care/")))
    else:
        result = run(schema)

    # then nothing fails, every operation was exercised in every phase that applies, and the
    # role reached the API's logic, not just its refusals
    assert not result.errors, "\n".join(result.errors)
    assert not result.findings, "\n".join(map(str, result.findings))
    assert {result.phases[p] for p in ("coverage", "fuzzing", "stateful")} == {"success"}
    operations = {f"{op.method.upper()} {op.path}" for op in operations_of(schema)}
    assert len(operations) == 33 and operations <= set(result.statuses)
    succeeded = {label for label, codes in result.statuses.items() if codes & set(range(200, 300))}
    if role == "anonymous":
        assert succeeded == MUST_SUCCEED["anonymous"]
    else:
        assert MUST_SUCCEED[role] <= succeeded, MUST_SUCCEED[role] - succeeded


def operations_of(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()
