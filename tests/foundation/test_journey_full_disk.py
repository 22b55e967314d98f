"""A full disk at submit (kiosk.journey): the application is kept in memory, the resident told, the heartbeat's
count raised, and it is stored as soon as the disk has room (the process-level test: tests/field/
test_submit_on_full_disk.py)."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from kiosk import journey as journey_module
from kiosk.journey import Journey, storage_full


def test_a_full_disk_is_told_from_other_faults():
    assert storage_full(OSError(errno.ENOSPC, "No space left on device"))
    assert storage_full(sqlite3.OperationalError("database or disk is full"))
    try:
        try:
            raise OSError(errno.EDQUOT, "Disk quota exceeded")
        except OSError as cause:
            raise RuntimeError("the outbox could not store the application") from cause
    except RuntimeError as wrapped:
        assert storage_full(wrapped)
    assert not storage_full(OSError(errno.EACCES, "Permission denied"))
    assert not storage_full(ValueError("a bad form"))


def test_a_kept_application_is_stored_once_there_is_room(monkeypatch):
    monkeypatch.setattr(journey_module, "STORAGE_RETRY_S", 0.0)
    events = []
    journey = Journey(None, lambda kind, **payload: events.append(payload["what"]))
    tries = iter([OSError(errno.ENOSPC, "full"), OSError(errno.ENOSPC, "full"), "stored"])
    held_while_full = []

    def submit():
        held_while_full.append((journey.held, journey.session.held))
        outcome = next(tries)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert journey._store(journey._generation, submit) == "stored"
    assert held_while_full == [(0, False), (1, True), (1, True)] and journey.held == 0
    assert not journey.session.held  # saved: this session's goodbye no longer says it is kept (screens.goodbye)
    assert events == ["submit_held"] and "storage is full" in journey.session.error  # told once

    def refused():
        raise OSError(errno.EACCES, "Permission denied")

    with pytest.raises(OSError):  # any other fault is not waited out: the resident goes to the counter
        journey._store(journey._generation, refused)
    assert journey.held == 0
