"""Writes for conversations, kept importable here: other parts and the tests call them as
`services.<name>`.

Each lives in the module named for it: who may write (`membership.py`), storing a message
(`messages.py`), its debounced follow-ups (`followups.py`), read receipts (`receipts.py`)
and calls (`calls.py`).
"""

from __future__ import annotations

from alliance.conversations.calls import (
    CallRefused,
    confirm_location,
    join_call,
    leave_call,
    licensed_in,
)
from alliance.conversations.followups import (
    ALERT_EVALUATION_EVERY_SECONDS,
    EVALUATE,
    NOTIFY,
    FollowUp,
    follow_ups,
    follow_ups_due,
    forget_pending,
    mark_covered,
)
from alliance.conversations.membership import Author, ConversationError, author_for
from alliance.conversations.messages import (
    HOLD,
    RATE_WINDOW_SECONDS,
    Posted,
    clean_message,
    insert_params,
    insert_sql,
    inserted_message,
    message_payload,
    post_message,
)
from alliance.conversations.receipts import ReadMark, mark_read, record_read

# Used by other parts (and the tests) from this module.
__all__ = [
    "ALERT_EVALUATION_EVERY_SECONDS",
    "EVALUATE",
    "HOLD",
    "NOTIFY",
    "RATE_WINDOW_SECONDS",
    "Author",
    "CallRefused",
    "ConversationError",
    "FollowUp",
    "Posted",
    "ReadMark",
    "author_for",
    "clean_message",
    "confirm_location",
    "follow_ups",
    "follow_ups_due",
    "forget_pending",
    "insert_params",
    "insert_sql",
    "inserted_message",
    "join_call",
    "leave_call",
    "licensed_in",
    "mark_covered",
    "mark_read",
    "message_payload",
    "post_message",
    "record_read",
]
