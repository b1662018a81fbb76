"""Every write of the schedule, kept importable here: other parts and the tests call them as
`services.<name>`.

Each lives in the module named for it: a therapist's availability (`availability_changes.py`),
booking, moving and cancelling (`booking.py`), attendance, from call join times or marked by
the therapist (`attendance.py`), progress notes with their signing, addenda and co-signature
(`progress_notes.py`; what the practice admin sets for notes is in `note_admin.py`) and
calendar feeds (`calendar_feeds.py`); the refusals are in `errors.py`.

Side effects (e-mails, reminders, check-in requests, alert re-evaluation) are enqueued on
commit. The database refuses double booking on its own (see overlap.py); the checks here
exist to give a clear message first.
"""

from __future__ import annotations

from alliance.schedule.attendance import (
    close_appointment,
    finish_appointment,
    mark_attendance,
    record_call_join,
    record_call_leave,
)
from alliance.schedule.availability_changes import (
    add_exception,
    add_time_off,
    add_weekly_window,
    remove_exception,
    remove_weekly_window,
)
from alliance.schedule.booking import (
    book_appointment,
    cancel_appointment,
    cancel_for_ending,
    is_late,
    reschedule_appointment,
)
from alliance.schedule.calendar_feeds import feed_for, revoke_feed
from alliance.schedule.errors import ScheduleError, SlotTaken
from alliance.schedule.progress_notes import (
    NOTE_MAX_CHARS,
    add_note_addendum,
    cosign_progress_note,
    save_progress_note,
    share_progress_note,
    sign_progress_note,
)

# Used by other parts (and the tests) from this module.
__all__ = [
    "NOTE_MAX_CHARS",
    "ScheduleError",
    "SlotTaken",
    "add_exception",
    "add_note_addendum",
    "add_time_off",
    "add_weekly_window",
    "book_appointment",
    "cancel_appointment",
    "cancel_for_ending",
    "close_appointment",
    "cosign_progress_note",
    "feed_for",
    "finish_appointment",
    "is_late",
    "mark_attendance",
    "record_call_join",
    "record_call_leave",
    "remove_exception",
    "remove_weekly_window",
    "reschedule_appointment",
    "revoke_feed",
    "save_progress_note",
    "share_progress_note",
    "sign_progress_note",
]
