"""The audit trail's anchored head (#17), as staff run it: `kiosk audit verify` after the newest records were
truncated, after every row was deleted, and after the database itself was removed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.audit import AuditTrail

ROOT = Path(__file__).resolve().parents[2]


def verify(data_dir: Path, *extra: str) -> tuple[int, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "kiosk", "audit", "verify", "--json", "--data-dir", str(data_dir),
                           *extra], env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def delete(path: Path, where: str) -> None:
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute(f"DELETE FROM audit {where}")
    db.commit()
    db.close()


@pytest.fixture
def trail_dir(tmp_path: Path) -> Path:
    with AuditTrail(tmp_path / "audit.sqlite3") as trail:
        for n in range(8):
            trail.record("staff.action", "op01", action="paper_replaced", n=n)
    return tmp_path


def test_verify_names_a_truncated_tail(trail_dir):
    code, report = verify(trail_dir)
    assert code == 0 and report["head_seq"] == 8
    delete(trail_dir / "audit.sqlite3", "WHERE seq > 5")
    code, report = verify(trail_dir)
    assert code == 1 and report["missing"] == [[6, 8]] and "records 6–8 missing" in report["reason"]


def test_verify_names_every_row_deleted_and_a_removed_database(trail_dir):
    delete(trail_dir / "audit.sqlite3", "")
    code, report = verify(trail_dir)
    assert code == 1 and report["missing"] == [[1, 8]] and "every record missing" in report["reason"]
    for path in trail_dir.glob("audit.sqlite3*"):
        path.unlink()
    code, report = verify(trail_dir)
    assert code == 1 and "audit database was deleted (head was record 8)" in report["reason"]


def test_verify_against_the_heartbeats_copy_catches_all_files_replaced(trail_dir):
    with AuditTrail(trail_dir / "audit.sqlite3") as trail:
        published = trail.head()  # what the heartbeat sent
    for path in trail_dir.glob("audit.*"):
        path.unlink()
    with AuditTrail(trail_dir / "audit.sqlite3") as trail:  # a fresh trail, key and head: locally consistent
        trail.record("system.start", "kiosk")
    code, report = verify(trail_dir, "--expect-head", f"{published[0]}:{published[1]}")
    assert code == 1 and "missing" in report["reason"] and "expected head" in report["reason"]
