"""A writer killed with SIGKILL mid-stream (the nearest a test gets to a power cut) leaves a chain that verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.audit import AuditTrail

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys
from kiosk.audit import AuditTrail
trail = AuditTrail(sys.argv[1])
i = 0
while True:
    trail.record("device.fault", sys.argv[2], device="printer", state="no_device", n=i, pad="x" * (i % 500))
    i += 1
"""


def start_writer(path: Path, actor: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), actor], env=env)


def wait_for_records(path: Path, at_least: int, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists():
            try:
                with AuditTrail(path, readonly=True) as trail:
                    seq, _ = trail.head()
                    if seq >= at_least and {e.actor for e in trail.tail(seq)} == {"w1", "w2"}:
                        return
            except Exception:  # the writer may still be creating the schema
                pass
        time.sleep(0.02)
    raise AssertionError("writers did not produce records")


def test_sigkilled_writers_leave_a_verifying_chain(tmp_path):
    path = tmp_path / "audit.sqlite3"
    AuditTrail(path).close()  # create the schema first so both writers start on the same file
    writers = [start_writer(path, "w1"), start_writer(path, "w2")]
    try:
        wait_for_records(path, 150)
    finally:
        for proc in writers:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
    assert all(proc.returncode == -signal.SIGKILL for proc in writers)
    trail = AuditTrail(path)
    result = trail.verify()
    assert result.ok, result.reason
    assert result.count >= 150
    actors = {entry.actor for entry in trail.tail(result.count)}
    assert actors == {"w1", "w2"}  # both wrote, interleaved, onto one chain
    assert trail.record("system.start", "kiosk") == result.count + 1
    assert trail.verify().ok
