"""Exactly once: 100 applications through the outbox against a faulty platform, the kiosk process SIGKILLed
at random points and restarted — every application delivered once, none twice, none lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drivers.sim.platform import Fault

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("kiosk_process.py")
COUNT = 100


@pytest.mark.slow
def test_exactly_once_through_kills_and_faults(sim, client, verification, tmp_path, h):
    # latency keeps delivery slower than the kill schedule, so kills land in queueing and in delivery alike
    fault = Fault(drop_after=0.15, error_rate=0.08, error_status=503, drop_before=0.04, retry_after=0, latency=0.02)
    for endpoint in ("files", "applications"):
        sim.set_faults(endpoint, fault)
    data_dir = tmp_path / "kiosk"
    command = [sys.executable, str(SCRIPT), str(data_dir), sim.url, h.TOKEN, verification.verification_id, str(COUNT)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(2026)
    kills = 0
    finished = False
    for _ in range(12):
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.4, 1.6))
        if process.poll() is not None:
            finished = process.returncode == 0
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    if not finished:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip().endswith("done")
    assert kills >= 3

    delivered = sim.applications()
    seqs = sorted(a["body"]["form"]["seq"] for a in delivered)
    assert seqs == list(range(COUNT)), "every application exactly once"
    references = [a["client_reference"] for a in delivered]
    assert len(set(references)) == COUNT
    stats = sim.stats()
    assert stats.get("fault.drop.POST", 0) > 0 and stats.get("fault.503", 0) > 0
    assert stats.get("idempotency.replay", 0) > 0  # repeats after dropped answers were answered, not re-created
    assert "applications.duplicate_reference" not in stats and "idempotency.conflict" not in stats
    # each application's two files were stored once and are the ones it names
    assert len(sim.files()) == 2 * COUNT
    with sqlite3.connect(data_dir / "outbox.sqlite3") as db:
        rows = db.execute("SELECT reference, state, result FROM jobs").fetchall()
    assert len(rows) == COUNT and {state for _, state, _ in rows} == {"delivered"}
    by_reference = {a["client_reference"]: a["application_no"] for a in delivered}
    import json

    assert all(json.loads(result)["application_no"] == by_reference[ref] for ref, _, result in rows)
