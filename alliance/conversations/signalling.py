"""Validation of WebRTC signalling relayed between the two browsers of a call.

The server only relays session descriptions and ICE candidates (media flows peer to peer,
DTLS-SRTP encrypted); it checks their shape so malformed input is refused, not forwarded.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from alliance.conversations.membership import ConversationError

MAX_SDP_CHARS = 64 * 1024
MAX_CANDIDATE_CHARS = 1024
DESCRIPTION_TYPES = {"offer", "answer", "pranswer", "rollback"}


def _bad(detail: str) -> ConversationError:
    return ConversationError(
        "bad_signal", _("Malformed call signal: %(detail)s.") % {"detail": detail}
    )


def clean(data: Any) -> dict[str, Any]:
    """Either {"description": {type, sdp}} or {"candidate": {candidate, sdpMid, sdpMLineIndex}
    | null} (null marks the end of candidates)."""
    if not isinstance(data, dict) or len(data) != 1:
        raise _bad("expected an object with either a description or a candidate")
    if "description" in data:
        d = data["description"]
        if not isinstance(d, dict) or d.get("type") not in DESCRIPTION_TYPES:
            raise _bad("a description needs a type of offer, answer, pranswer or rollback")
        sdp = d.get("sdp", "")
        if not isinstance(sdp, str) or len(sdp) > MAX_SDP_CHARS:
            raise _bad("the sdp must be text of reasonable size")
        if d["type"] != "rollback" and not sdp.startswith("v=0"):
            raise _bad("the sdp does not look like a session description")
        return {"description": {"type": d["type"], "sdp": sdp}}
    if "candidate" in data:
        c = data["candidate"]
        if c is None:
            return {"candidate": None}
        if not isinstance(c, dict) or not isinstance(c.get("candidate"), str):
            raise _bad("a candidate needs a candidate string")
        if len(c["candidate"]) > MAX_CANDIDATE_CHARS:
            raise _bad("the candidate is too long")
        mid = c.get("sdpMid")
        index = c.get("sdpMLineIndex")
        if mid is not None and not isinstance(mid, str):
            raise _bad("sdpMid must be text")
        if index is not None and (
            not isinstance(index, int) or isinstance(index, bool) or index < 0
        ):
            raise _bad("sdpMLineIndex must be a non-negative number")
        out: dict[str, Any] = {"candidate": c["candidate"], "sdpMid": mid, "sdpMLineIndex": index}
        if isinstance(c.get("usernameFragment"), str):
            out["usernameFragment"] = c["usernameFragment"][:256]
        return {"candidate": out}
    raise _bad("expected a description or a candidate")
