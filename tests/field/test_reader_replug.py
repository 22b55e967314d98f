"""One unplug and replug of the ID-card reader under the running kiosk (#17): the real `kiosk run` (the field
harness), the reader a real simulator process on a pty behind a stable symlink (what the udev rule makes of
/dev/ttyUSB*). The reader goes away and comes back once: a fault and a recovery, never "unstable", and the
next heartbeat says it is ready."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from kiosk.audit import AuditTrail
from tests.field.harness import ROOT, Service


def reader_process(tmp: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "sim", "idcard", "--empty"], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    assert port.startswith("/dev/pts/"), port
    return proc, port


def plug(link: Path, port: str) -> None:
    tmp = link.with_suffix(".new")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(port)
    os.replace(tmp, link)  # the device node appears whole, as udev makes it


def device_records(data_dir: Path) -> list[tuple[str, dict]]:
    try:
        with AuditTrail(data_dir / "audit.sqlite3", readonly=True) as trail:
            return [(r.kind, dict(r.fields)) for r in trail.tail(500) if r.fields.get("device") == "idcard"]
    except Exception:  # not created yet
        return []


def wait(predicate, timeout: float, what: str, service: Service) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} not seen within {timeout:.0f} s\n{service.stderr()[-3000:]}"
        assert service.main is not None and service.main.poll() is None, service.stderr()[-3000:]
        time.sleep(0.2)


def test_one_reader_replug_is_a_fault_and_a_recovery_not_flapping(service: Service, tmp_path: Path):
    link = tmp_path / "tongban-idcard"
    first, port = reader_process(tmp_path)
    second = None
    try:
        plug(link, port)
        site = tmp_path / "kiosk.toml"
        site.write_text(f'[devices.idcard]\nport = "{link}"\n\n[service]\nheartbeat_interval_s = 10\n', "utf-8")
        service.start(config=site)
        service.ready()
        wait(lambda: any(b.get("devices", {}).get("idcard", {}).get("ready") for b in service.heartbeats()), 180,
             "a heartbeat with the reader ready", service)  # fmt: skip

        first.terminate()  # unplugged: the pty goes away under the driver
        first.wait(30)
        wait(lambda: any(k == "device.fault" for k, _ in device_records(service.data_dir)), 120, "the fault",
             service)  # fmt: skip
        second, port = reader_process(tmp_path)  # plugged back in: a new tty behind the same stable name
        plug(link, port)
        wait(lambda: any(k == "device.recovered" for k, _ in device_records(service.data_dir)), 120,
             "the recovery", service)  # fmt: skip
        seen = len(service.heartbeats())
        wait(lambda: len(service.heartbeats()) > seen, 60, "the next heartbeat", service)
        idcard = service.heartbeats()[-1]["devices"]["idcard"]
        assert idcard["ready"] is True and idcard["unstable"] is False, idcard
        kinds = [k for k, _ in device_records(service.data_dir)]
        assert "device.unstable" not in kinds, kinds
        assert service.stop() == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(30)
