"""A full disk at every write (#17), on a real tiny tmpfs: the outbox (through the real `kiosk apply` process),
the audit trail, the logs, receipts kept for reprint and the state files. Each says so clearly, nothing hangs
and nothing is left half-written."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.sim.platform import PlatformSimulator
from kiosk.atomic import write_atomic
from kiosk.audit import AuditTrail, AuditUnavailable
from tests.field.tinydisk import fill, tiny_disk

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "apply-temp-relief.json"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


@pytest.mark.parametrize("room", [0, 96 * 1024])  # nothing at all; room for the outbox, not the application
def test_kiosk_apply_on_a_full_disk_says_so_and_queues_nothing(tmp_path, room):
    sim = PlatformSimulator(tmp_path / "platform.sqlite3", token="t", seed=1)
    sim.start()
    try:
        script = json.loads(EXAMPLE.read_text("utf-8"))
        script.update(printer="none")
        for name in ("hardship-proof.jpg", "signature.png"):
            shutil.copy(EXAMPLE.parent / name, tmp_path / name)
        (tmp_path / "s.json").write_text(json.dumps(script, ensure_ascii=False), "utf-8")
        with tiny_disk(tmp_path / "disk", 1024) as disk:
            fill(disk, room)
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            proc = subprocess.run([sys.executable, "-m", "kiosk", "apply", "--script", "s.json", "--platform", sim.url,
                                   "--token", "t", "--data-dir", str(disk / "data")], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=180)  # fmt: skip
            assert "Traceback" not in proc.stderr, proc.stderr
            result = json.loads(proc.stdout)
            assert proc.returncode == 2 and result["stage"] == "local", result
            assert "cannot save" in result["error"] and ("No space" in result["error"] or "full" in result["error"])
            assert leftovers(disk) == []
        assert sim.applications() == []  # nothing was promised, nothing half-sent
    finally:
        sim.stop()


def test_audit_append_on_a_full_disk_raises_a_clear_error_and_keeps_the_chain(tmp_path):
    with tiny_disk(tmp_path / "disk", 512) as disk:
        trail = AuditTrail(disk / "audit.sqlite3")
        trail.record("staff.login", "op01", result="ok")
        fill(disk)
        with pytest.raises(AuditUnavailable, match="full"):
            for n in range(200):  # the WAL may still have room for a few
                trail.record("staff.action", "op01", action="paper_replaced", pad="x" * 2000, n=n)
        written = trail.head()[0]
        (disk / "filler").unlink()
        trail.record("staff.logout", "op01")  # room again: the chain goes on, nothing half-written
        result = trail.verify()
        assert result.ok, result.reason
        assert result.count == written + 1 and trail.sealed_head() == trail.head()
        assert leftovers(disk) == []
        trail.close()


def test_state_files_on_a_full_disk_keep_the_old_copy(tmp_path):
    from drivers.printer.document import Receipt, Section, Text
    from kiosk.config.loader import LastGood
    from kiosk.recent_receipts import RecentReceipts

    with tiny_disk(tmp_path / "disk", 256) as disk:
        state = disk / "state.json"
        write_atomic(state, b'{"old": true}')
        fill(disk)
        with pytest.raises(OSError) as raised:
            write_atomic(state, b"x" * 100_000)
        assert raised.value.errno == 28  # ENOSPC
        assert state.read_bytes() == b'{"old": true}' and leftovers(disk) == []
        LastGood(disk / "last-good").put("site", {"kiosk": {"id": "K0042" * 1000}})  # logged, not raised
        receipts = RecentReceipts(disk / "receipts")
        with pytest.raises(OSError):
            receipts.keep("K0001-ABCDE-000001", Receipt(title="受理回执", sections=[Section("x", [Text("y" * 9000)])]))
        assert leftovers(disk) == [] and not list((disk / "receipts").glob("*.json"))


def test_log_lines_on_a_full_disk_say_so_once_and_resume(tmp_path, capfd):
    from kiosk import logs

    with tiny_disk(tmp_path / "disk", 256) as disk:
        path = logs.setup(disk / "logs")
        logger = logging.getLogger("fieldb.test")
        logger.propagate = True
        filler = fill(disk)
        for n in range(50):
            logger.error("line %d %s", n, "x" * 400)
        err = capfd.readouterr().err
        assert err.count("log lines not written") == 1 and "Traceback" not in err
        filler.unlink()
        logger.error("after the room came back")
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert "after the room came back" in path.read_text("utf-8", errors="replace")
        for handler in [h for h in logging.getLogger().handlers if getattr(h, "_tongban", False)]:
            logging.getLogger().removeHandler(handler)
            handler.close()
