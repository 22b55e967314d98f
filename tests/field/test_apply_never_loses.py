"""Field faults of `kiosk apply` (#17): the real process against a platform that is down, refuses for good,
or is fine; a new outbox database never reuses a reference."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.sim.platform import PlatformSimulator
from drivers.sim.platform.faults import Fault

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "apply-temp-relief.json"
TOKEN = "field-token"


def kiosk(*args: str, cwd: Path, tmpdir: Path | None = None) -> tuple[int, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    proc = subprocess.run([sys.executable, "-m", "kiosk", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=180)  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    data = json.loads(EXAMPLE.read_text("utf-8"))
    data.update(printer="emulator", kiosk_id="K0042", wait_delivery_s=3)
    for name in ("hardship-proof.jpg", "signature.png"):
        shutil.copy(EXAMPLE.parent / name, tmp_path / name)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture
def platform(tmp_path: Path):
    sim = PlatformSimulator(tmp_path / "platform.sqlite3", token=TOKEN, seed=5)
    sim.start()
    yield sim
    sim.stop()


def test_platform_down_keeps_the_application_and_says_so(tmp_path, script, platform):
    temp = tmp_path / "tmp"
    temp.mkdir()
    for endpoint in ("files", "applications"):  # the resident was verified, then the platform went down
        platform.set_faults(endpoint, Fault(error_rate=1.0, error_status=503))
    code, result = kiosk("apply", "--script", str(script), "--platform", platform.url, "--token", TOKEN,
                         cwd=tmp_path, tmpdir=temp)  # fmt: skip
    assert code == 3 and result["ok"] is False and result["state"] == "pending", result
    kept = Path(result["outbox_kept"])
    assert kept.is_dir() and kept.is_relative_to(temp) and "kiosk outbox deliver" in result["message"]
    with sqlite3.connect(kept / "outbox.sqlite3") as db:
        assert db.execute("SELECT reference, state FROM jobs").fetchall() == [(result["reference"], "pending")]
    terminal = [line for line in result["receipt"]["lines"] if "终端编号" in line]
    assert terminal and "K0042" in terminal[0]  # the reference's terminal, not the settings' K0001
    platform.clear_faults()  # later, the platform is back: the kept outbox is delivered, nothing stays pending
    code, report = kiosk("outbox", "deliver", "--data-dir", str(kept), "--platform", platform.url, "--token", TOKEN,
                         "--kiosk-id", "K0042", cwd=tmp_path)  # fmt: skip
    assert code == 0 and report["pending"] == [] and report["failed"] == [] and report["delivered"] == 1, report
    assert [a["client_reference"] for a in platform.applications()] == [result["reference"]]


def test_a_permanent_refusal_exits_non_zero(tmp_path, script, platform):
    platform.set_faults("applications", Fault(error_rate=1.0, error_status=422))
    code, result = kiosk("apply", "--script", str(script), "--platform", platform.url, "--token", TOKEN,
                         "--data-dir", str(tmp_path / "data"), cwd=tmp_path)  # fmt: skip
    assert code == 4 and result["ok"] is False and result["state"] == "failed" and "422" in result["error"], result
    assert "outbox_kept" not in result  # a given --data-dir is the caller's: never deleted anyway


def test_delivered_receipt_has_the_platform_number_and_a_new_disk_no_duplicate(tmp_path, script, platform):
    references = []
    for disk in ("disk1", "disk2"):  # the same kiosk reinstalled on a new disk
        code, result = kiosk("apply", "--script", str(script), "--platform", platform.url, "--token", TOKEN,
                             "--data-dir", str(tmp_path / disk), cwd=tmp_path)  # fmt: skip
        assert code == 0 and result["ok"] and result["state"] == "delivered", result
        # the receipt race: the platform's number is on the printed receipt, not the local reference
        assert any(result["application_no"] in line for line in result["receipt"]["lines"])
        references.append(result["reference"])
    assert references[0] != references[1] and all(r.startswith("K0042-") for r in references)
    assert sorted(a["client_reference"] for a in platform.applications()) == sorted(references)
