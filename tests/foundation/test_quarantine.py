"""A corrupt database beside the kiosk (issue 17): set aside byte for byte, never deleted, a fresh one opened, and
the fault reported — instead of a kiosk that exits at every start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.hardware import Hardware
from kiosk.quarantine import QUARANTINE_DIR, DatabaseUnavailable, database_problem, quarantine


def sound_database(path: Path, rows: int = 200) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        db.executemany("INSERT INTO t (body) VALUES (?)", [("x" * 300,)] * rows)
    db.close()


def test_sound_absent_and_corrupt_files(tmp_path):
    assert database_problem(tmp_path / "absent.sqlite3") is None
    sound = tmp_path / "sound.sqlite3"
    sound_database(sound)
    assert database_problem(sound) is None
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"\x13\x37" * 4096)
    assert "not a database" in (database_problem(garbage) or "")


def test_a_damaged_page_inside_a_valid_file_is_found(tmp_path):
    damaged = tmp_path / "damaged.sqlite3"
    sound_database(damaged)
    data = bytearray(damaged.read_bytes())
    page = 4096
    data[2 * page : 2 * page + 64] = b"\xff" * 64  # a b-tree page header of the table
    damaged.write_bytes(bytes(data))
    assert database_problem(damaged) is not None


def test_quarantine_moves_the_file_and_its_side_files_byte_for_byte(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    path.write_bytes(b"corrupt \x00\x01 bytes")
    (tmp_path / "outbox.sqlite3-wal").write_bytes(b"wal bytes")
    folder = quarantine(path, tmp_path, "file is not a database")
    assert folder.parent == tmp_path / QUARANTINE_DIR
    assert (folder / "outbox.sqlite3").read_bytes() == b"corrupt \x00\x01 bytes"
    assert (folder / "outbox.sqlite3-wal").read_bytes() == b"wal bytes"
    assert "file is not a database" in (folder / "REASON.txt").read_text("utf-8")
    assert not path.exists()


@pytest.mark.parametrize("name", ["outbox.sqlite3", "audit.sqlite3"])
def test_the_hardware_starts_on_a_fresh_database_and_reports_the_fault(tmp_path, name):
    corrupt = b"SQLite format 3\x00" + b"\xde\xad" * 3000
    (tmp_path / name).write_bytes(corrupt)
    with Hardware.start(load_settings().settings, tmp_path, devices=False) as hardware:
        code = name.split(".")[0] + "_quarantined"
        assert [fault[0] for fault in hardware.faults] == [code]
        (kept,) = (tmp_path / QUARANTINE_DIR).iterdir()
        assert (kept / name).read_bytes() == corrupt
        assert hardware.outbox.depth() == 0 and database_problem(tmp_path / name) is None
        assert hardware.audit.tail(5)[-1].kind == code.replace("_", ".")  # the alarm in the audit trail
        assert hardware.audit.verify().ok


def test_a_database_locked_by_another_process_is_not_corruption(tmp_path):
    """Held locked past the busy timeout, a sound file stays where it is: the start fails and is retried."""
    path = tmp_path / "outbox.sqlite3"
    sound_database(path)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseUnavailable, match="locked"):
            database_problem(path, busy_timeout=0.05)
    finally:
        holder.close()
    assert database_problem(path) is None and not (tmp_path / QUARANTINE_DIR).exists()
