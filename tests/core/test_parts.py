"""Parts are found among INSTALLED_APPS (alliance/core/parts.py), and a part that stores data
of partnerships without answering their end fails `manage.py check` (care/lifecycle.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from alliance.care import lifecycle
from alliance.core.parts import part_modules


def test_every_part_that_refers_to_a_partnership_handles_its_end():
    assert lifecycle.missing_handlers() == []
    call_command("check")  # raises on an error


def test_a_part_without_its_handler_fails_the_check(monkeypatch):
    from alliance.journal import lifecycle as journal_lifecycle

    monkeypatch.setattr(journal_lifecycle, "HANDLERS", {})
    assert lifecycle.missing_handlers() == ["alliance.journal"]
    with pytest.raises(SystemCheckError, match=r"alliance\.journal stores data of partnerships"):
        call_command("check")


def test_a_part_without_a_lifecycle_module_fails_the_check(monkeypatch):
    import alliance.core.parts as parts

    real = parts.find_spec
    monkeypatch.setattr(
        parts, "find_spec", lambda name: None if name == "alliance.goals.lifecycle" else real(name)
    )
    assert lifecycle.missing_handlers() == ["alliance.goals"]


def test_a_lifecycle_module_that_fails_to_import_is_an_error_not_a_silent_no_op(monkeypatch):
    import alliance.core.parts as parts

    real = parts.import_module

    def broken(name):
        if name == "alliance.goals.lifecycle":
            raise ImportError("renamed function")
        return real(name)

    monkeypatch.setattr(parts, "import_module", broken)
    with pytest.raises(ImportError, match="renamed function"):
        list(part_modules("lifecycle"))


def test_handlers_are_found_in_installed_apps_order():
    found = [h.__module__ for h in lifecycle.handlers(lifecycle.PartnershipEnded)]
    assert found == [
        "alliance.checkins.lifecycle",
        "alliance.schedule.lifecycle",
        "alliance.billing.lifecycle",
        "alliance.conversations.lifecycle",
        "alliance.goals.lifecycle",
        "alliance.journal.lifecycle",
    ]
    started = [h.__module__ for h in lifecycle.handlers(lifecycle.PartnershipStarted)]
    assert started == ["alliance.checkins.lifecycle"]


def test_care_learns_from_exactly_one_measuring_part(monkeypatch):
    from alliance.care import observations
    from alliance.checkins import observations as provided

    assert observations.provider() is provided
    call_command("check")
    monkeypatch.delattr(provided, "outcome_change_by_partnership")
    with pytest.raises(SystemCheckError, match=r"alliance\.checkins\.observations lacks"):
        call_command("check")


def test_an_event_nobody_handles_fails_the_check(monkeypatch):
    from alliance.billing import lifecycle as billing_lifecycle
    from alliance.checkins import lifecycle as checkins_lifecycle
    from alliance.schedule.events import SessionFinished

    for part in (checkins_lifecycle, billing_lifecycle):
        handlers = dict(part.HANDLERS)
        del handlers[SessionFinished]
        monkeypatch.setattr(part, "HANDLERS", handlers)
    assert lifecycle.unhandled_events() == ["SessionFinished"]
    with pytest.raises(SystemCheckError, match="Nothing handles SessionFinished"):
        call_command("check")


def test_every_alert_signal_has_exactly_one_provider(monkeypatch):
    from alliance.checkins import signals
    from alliance.conversations import alert_signals

    assert signals.signal("messages_per_week") is alert_signals.SIGNALS["messages_per_week"]
    monkeypatch.setattr(alert_signals, "SIGNALS", {})
    with pytest.raises(SystemCheckError, match="'messages_per_week' comes from 0 parts"):
        call_command("check")


def test_only_the_discovery_function_imports_by_name():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "alliance"
    by_name = re.compile(r"\bimport_module\b|\b__import__\(|importlib\.util")
    found = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "migrations" not in path.parts and by_name.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["core/parts.py"]
