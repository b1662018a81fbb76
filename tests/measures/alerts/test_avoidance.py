from __future__ import annotations

from alliance.measures.alerts import (
    Attendance,
    AttendanceEvent,
    CheckIn,
    ClientHistory,
    Pillar,
    RuleConfig,
    Severity,
    avoidance,
)

CONFIG = RuleConfig()
A, LC, NS = Attendance.ATTENDED, Attendance.LATE_CANCELLATION, Attendance.NO_SHOW


def attendance(*statuses: Attendance, late: dict[int, float] | None = None):
    late = late or {}
    return tuple(AttendanceEvent(i + 1, s, late.get(i + 1, 0.0)) for i, s in enumerate(statuses))


def test_missed_appointments_fire_low():
    [alert] = avoidance.check(ClientHistory(attendance=attendance(A, A, LC, NS)), CONFIG)
    assert alert.severity is Severity.LOW
    assert alert.pillar is Pillar.ENGAGEMENT
    assert alert.session == 4


def test_old_misses_outside_the_window_do_not_fire():
    history = ClientHistory(attendance=attendance(NS, LC, A, A, A, A))
    assert avoidance.check(history, CONFIG) == []


def test_lateness_fires():
    history = ClientHistory(attendance=attendance(A, A, A, late={2: 15, 3: 10}))
    assert len(avoidance.check(history, CONFIG)) == 1


def test_a_little_late_does_not_fire():
    history = ClientHistory(attendance=attendance(A, A, A, late={2: 5, 3: 9.5}))
    assert avoidance.check(history, CONFIG) == []


def test_skipped_checkins_fire():
    history = ClientHistory(
        checkins=(CheckIn(1, bond=0.9),), skipped_checkins=(2, 3), attendance=attendance(A, A, A)
    )
    assert len(avoidance.check(history, CONFIG)) == 1


def test_fading_messages_fire_and_steady_ones_do_not():
    assert len(avoidance.check(ClientHistory(messages_per_week=(6, 4, 3, 2, 1, 0)), CONFIG)) == 1
    assert avoidance.check(ClientHistory(messages_per_week=(3, 2, 3, 2)), CONFIG) == []
    # too few messages to call it fading
    assert avoidance.check(ClientHistory(messages_per_week=(1, 1, 0, 0)), CONFIG) == []


def test_three_signals_are_high():
    history = ClientHistory(
        attendance=attendance(A, NS, A, LC, late={1: 20, 3: 20}),
        messages_per_week=(5, 5, 0, 0),
    )
    [alert] = avoidance.check(history, CONFIG)
    assert alert.severity is Severity.HIGH


def test_regular_attendance_does_not_fire():
    history = ClientHistory(attendance=attendance(A, A, A, A, NS, A, A, A))
    assert avoidance.check(history, CONFIG) == []
