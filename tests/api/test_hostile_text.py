"""NUL and lone surrogates are refused at the door (alliance/core/nul.py): in the path, the
query, the headers and the body, whatever the content type, with a 400 and a plain message;
nothing is stored (goal titles, journal bodies, messages, check-in comments)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.test import Client
from django.test.client import MULTIPART_CONTENT, encode_multipart

from alliance.checkins.models import Response
from alliance.conversations.models import Message
from alliance.goals.models import Goal
from alliance.journal.models import JournalEntry
from tests.checkins.conftest import checkin_post, good_checkin
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

BOUNDARY = "hostileboundary"
NUL_MESSAGE = "cannot contain the NUL character"
SURROGATE_MESSAGE = "cannot contain a lone surrogate"
CLEAN = "Walk to the park"
# Each spelling of a bad character as text; a JSON body spells it as an escape or as bytes.
BAD = {"nul": "Walk\x00 to the park", "surrogate": "Walk\ud800 to the park"}
MESSAGES = {"nul": NUL_MESSAGE, "surrogate": SURROGATE_MESSAGE}


@dataclass
class Target:
    """An endpoint that stores text: where it is, which field, how to count what it stored."""

    path: Callable[[object], str]
    field: str
    fields: Callable[[object], dict[str, object]]
    stored: Callable[[], int]
    success: int


def _goal_count() -> int:
    return Goal.objects.count()


def _entry_count() -> int:
    return JournalEntry.objects.count()


def _message_count() -> int:
    return Message.objects.count()


def _comment_count() -> int:
    return Response.objects.filter(comment__isnull=False).count()


def _checkin(partnership: object) -> dict[str, object]:
    from alliance.checkins.services import request_checkin

    checkin = request_checkin(partnership=partnership)
    return {"path": f"/checkins/requests/{checkin.pk}/"}


JSON_TARGETS = {
    "goal title": Target(
        lambda p: f"/api/goals/partnerships/{p.pk}/goals",  # type: ignore[attr-defined]
        "title",
        lambda p: {},
        _goal_count,
        201,
    ),
    "journal body": Target(
        lambda p: "/api/journal/entries", "body", lambda p: {}, _entry_count, 201
    ),
    "check-in comment": Target(
        lambda p: "/api/checkins/responses",
        "better_today",
        lambda p: {
            "partnership_id": p.pk,  # type: ignore[attr-defined]
            "instrument_id": "alliance_checkin",
            "idempotency_key": "hostile-1",
        },
        _comment_count,
        201,
    ),
}

FORM_TARGETS = {
    "goal title": Target(
        lambda p: f"/goals/partnerships/{p.pk}/",  # type: ignore[attr-defined]
        "title",
        lambda p: {},
        _goal_count,
        302,
    ),
    "journal body": Target(lambda p: "/journal/", "body", lambda p: {}, _entry_count, 302),
    "message": Target(
        lambda p: f"/conversations/{p.pk}/",  # type: ignore[attr-defined]
        "body",
        lambda p: {"client_id": "hostile-message-01"},
        _message_count,
        302,
    ),
    "check-in comment": Target(
        lambda p: _checkin(p)["path"],  # type: ignore[return-value]
        "item_better_today",
        lambda p: checkin_post("alliance_checkin", good_checkin(5), key="hostile-1"),
        _comment_count,
        302,
    ),
}


def _json_payload(target: Target, partnership: object, text: str) -> dict[str, object]:
    payload = dict(target.fields(partnership))
    if target.field == "better_today":
        payload["answers"] = {**good_checkin(5), "better_today": text}
    else:
        payload[target.field] = text
    return payload


# --- JSON bodies under every content type ----------------------------------------------------

JSON_CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/octet-stream",
    "application/x-anything",
]


def _json_bodies(payload: dict[str, object], kind: str) -> list[bytes]:
    """The JSON escape (as json.dumps writes it) and the raw bytes of the bad character."""
    escaped = json.dumps(payload).encode()
    raw = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return [escaped, raw]


@pytest.mark.parametrize("where", sorted(JSON_TARGETS))
@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("content_type", JSON_CONTENT_TYPES)
def test_json_body_with_bad_text_is_refused_and_stores_nothing(
    partnership, client_user, where, kind, content_type
):
    target = JSON_TARGETS[where]
    browser = logged_in(client_user)
    payload = _json_payload(target, partnership, BAD[kind])
    for body in _json_bodies(payload, kind):
        response = browser.post(target.path(partnership), body, content_type=content_type)
        assert response.status_code == 400, (body, response.content)
        assert MESSAGES[kind] in response.json()["detail"]
    assert target.stored() == 0


@pytest.mark.parametrize("where", sorted(JSON_TARGETS))
@pytest.mark.parametrize("content_type", JSON_CONTENT_TYPES)
def test_the_same_json_with_clean_text_is_stored(partnership, client_user, where, content_type):
    # The control: the requests above fail for their bad character, not for their shape.
    target = JSON_TARGETS[where]
    body = json.dumps(_json_payload(target, partnership, CLEAN))
    response = logged_in(client_user).post(
        target.path(partnership), body, content_type=content_type
    )
    assert response.status_code == target.success, response.content
    assert target.stored() == 1


def test_a_put_with_bad_text_is_refused(partnership, client_user):
    from alliance.goals import services

    goal = services.propose_goal(partnership=partnership, by=client_user, title=CLEAN)
    browser = logged_in(client_user)
    for kind, text in BAD.items():
        response = browser.put(
            f"/api/goals/goals/{goal.pk}", json.dumps({"title": text}), content_type="text/plain"
        )
        assert response.status_code == 400 and MESSAGES[kind] in response.json()["detail"]
    goal.refresh_from_db()
    assert goal.title == CLEAN


def test_an_emoji_written_as_a_surrogate_pair_is_text(partnership, client_user):
    body = json.dumps({"body": "Better today \U0001f642"})  # ensure_ascii: "\ud83d\ude42"
    assert "\\ud83d\\ude42" in body
    response = logged_in(client_user).post(
        "/api/journal/entries", body, content_type="application/json"
    )
    assert response.status_code == 201
    assert JournalEntry.objects.get().body == "Better today \U0001f642"


def test_an_escaped_backslash_before_u0000_is_text(partnership, client_user):
    body = json.dumps({"body": "I typed \\u0000 and \\ud800 on purpose"})
    response = logged_in(client_user).post(
        "/api/journal/entries", body, content_type="application/json"
    )
    assert response.status_code == 201
    assert JournalEntry.objects.get().body == "I typed \\u0000 and \\ud800 on purpose"


# --- HTML forms: url-encoded and multipart -------------------------------------------------


def _urlencoded(data: dict[str, object]) -> str:
    return "&".join(
        f"{quote(str(k))}={quote(str(v), errors='surrogatepass')}" for k, v in data.items()
    )


def _multipart(data: dict[str, object]) -> bytes:
    """Multipart with the bad character as its UTF-8 bytes (surrogates: as surrogatepass)."""
    lines = []
    for key, value in data.items():
        lines += [
            f"--{BOUNDARY}",
            f'Content-Disposition: form-data; name="{key}"',
            "",
            str(value),
        ]
    lines += [f"--{BOUNDARY}--", ""]
    return "\r\n".join(lines).encode("utf-8", "surrogatepass")


def _multipart_base64(data: dict[str, object], field: str) -> bytes:
    """The field's value sent base64-encoded (a multipart transfer encoding Django decodes)."""
    import base64

    lines = []
    for key, value in data.items():
        lines += [f"--{BOUNDARY}", f'Content-Disposition: form-data; name="{key}"']
        if key == field:
            encoded = base64.b64encode(str(value).encode("utf-8", "surrogatepass")).decode()
            lines += ["Content-Transfer-Encoding: base64", "", encoded]
        else:
            lines += ["", str(value)]
    lines += [f"--{BOUNDARY}--", ""]
    return "\r\n".join(lines).encode()


def _form_requests(data: dict[str, object], field: str, kind: str) -> list[tuple[str, str | bytes]]:
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    requests: list[tuple[str, str | bytes]] = [
        ("application/x-www-form-urlencoded", _urlencoded(data)),
        (multipart, _multipart(data)),
    ]
    if kind == "nul":  # a decoded base64 surrogate becomes a replacement character, not text
        requests.append((multipart, _multipart_base64(data, field)))
    return requests


@pytest.mark.parametrize("where", sorted(FORM_TARGETS))
@pytest.mark.parametrize("kind", sorted(BAD))
def test_form_with_bad_text_is_refused_and_stores_nothing(partnership, client_user, where, kind):
    target = FORM_TARGETS[where]
    browser = logged_in(client_user)
    path = target.path(partnership)
    data = {**target.fields(partnership), target.field: BAD[kind]}
    for content_type, body in _form_requests(data, target.field, kind):
        response = browser.post(path, body, content_type=content_type)
        assert response.status_code == 400, (content_type, response.content)
        assert MESSAGES[kind] in response.content.decode()
        assert response["Content-Type"].startswith("text/plain")
    assert target.stored() == 0


@pytest.mark.parametrize("where", sorted(FORM_TARGETS))
@pytest.mark.parametrize("encoding", [0, 1, 2], ids=["urlencoded", "multipart", "base64"])
def test_the_same_forms_with_clean_text_are_stored(partnership, client_user, where, encoding):
    # The control: the forms above fail for their bad character, not for their encoding.
    target = FORM_TARGETS[where]
    data = {**target.fields(partnership), target.field: CLEAN}
    content_type, body = _form_requests(data, target.field, "nul")[encoding]
    response = logged_in(client_user).post(
        target.path(partnership), body, content_type=content_type
    )
    assert response.status_code == target.success, response.content
    assert target.stored() == 1


def test_django_test_client_multipart_with_a_nul_is_refused(partnership, client_user):
    response = logged_in(client_user).post(
        "/journal/",
        encode_multipart("BoUnDaRy", {"body": "a\x00b"}),
        content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy"),
    )
    assert response.status_code == 400
    assert not JournalEntry.objects.exists()


# --- query strings, paths, headers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("q=a%00b", "nul"),
        ("a%00=1", "nul"),
        ("q=a%ED%A0%80b", "surrogate"),
        ("q=%ed%bf%bf", "surrogate"),
    ],
)
def test_query_string_with_bad_text_is_refused(admin_user, query, kind):
    response = logged_in(admin_user).get(f"/home/?tab=clients&{query}")
    assert response.status_code == 400
    assert MESSAGES[kind] in response.content.decode()


def test_the_same_query_with_clean_text_answers(admin_user):
    assert logged_in(admin_user).get("/home/?tab=clients&q=ab").status_code == 200


def test_path_with_a_nul_is_refused(client_user):
    response = logged_in(client_user).get("/journal/entries/1%00/")
    assert response.status_code == 400 and NUL_MESSAGE in response.content.decode()


@pytest.mark.parametrize(
    "header",
    ["HTTP_USER_AGENT", "HTTP_HX_CURRENT_URL", "HTTP_ACCEPT_LANGUAGE", "HTTP_X_ANYTHING"],
)
def test_header_with_a_nul_is_refused(partnership, client_user, header):
    browser = logged_in(client_user)
    response = browser.post("/journal/", {"body": CLEAN}, **{header: "a\x00b"})
    assert response.status_code == 400 and NUL_MESSAGE in response.content.decode()
    assert not JournalEntry.objects.exists()


def test_a_nul_in_the_log_in_user_agent_is_refused_before_the_lockout_stores_it(client_user):
    # axes stores the user agent of every failed log-in; PostgreSQL cannot hold a NUL.
    from axes.models import AccessAttempt

    response = Client().post(
        "/account/log-in/",
        {"email": "client@example.org", "password": "wrong"},
        HTTP_USER_AGENT="agent\x00",
    )
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"type": "message", "body": "fine \U0001f642"}, None),
        ({"type": "message", "body": "a\x00b"}, "nul"),
        ({"data": [{"x": ["a\ud800b"]}]}, "surrogate"),
        ({"key\x00": 1}, "nul"),
        ([1, 2.5, None, True], None),
    ],
)
def test_decoded_json_from_elsewhere_is_checked_the_same_way(value, expected):
    # A websocket frame does not pass the HTTP middleware; its consumer can ask the same.
    from alliance.core.nul import hostile_value

    assert hostile_value(value) == expected
