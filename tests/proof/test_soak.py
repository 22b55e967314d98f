"""A short soak: 30 journeys through kiosk/ on every simulator lose no application, crash nowhere, leak nothing.

It runs bench/soak.py in its own process, as the benchmark does: its scan of live objects must see the soak's
kiosk alone. In the suite's worker it also saw what earlier test modules of that worker still held (ID-card deck
identities of UI and driver tests), which says nothing about the kiosk."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.proof.conftest import ROOT


@pytest.mark.slow
def test_short_soak_loses_nothing_and_leaks_nothing(tmp_path):
    out = tmp_path / "figures.json"
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "bench" / "soak.py"), "--journeys", "30", "--ui-journeys", "0",
               "--object-scan-every", "1", "--json", str(out)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    figures = {f["name"]: f["value"] for f in json.loads(out.read_text("utf-8"))}
    assert figures["soak.crashes"] == 0 and figures["soak.privacy_findings"] == 0
    assert figures["soak.lost_applications"] == 0 and figures["soak.duplicated_applications"] == 0
    assert figures["soak.unclear_outcomes"] == 0 and figures["soak.fd_growth"] == 0
    accepted = re.search(r"'accepted': (\d+)", done.stdout)
    assert accepted is not None and int(accepted.group(1)) >= 15, done.stdout
    assert "receipts not printed: 0" in done.stdout
