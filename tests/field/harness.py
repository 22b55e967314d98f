"""The field's way of running the kiosk: ``kiosk run`` as the shipped unit runs it (deploy/tongban-kiosk.service).

``Service`` plays systemd's part: a real AF_UNIX datagram notify socket with SO_PASSCRED (each message carries
its sender's PID, as systemd reads it), ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` from the unit's ``WatchdogSec=`` and
``WATCHDOG_PID`` = this test process's PID. The kiosk runs under ``compositor.py`` (cage's stand-in), so it is
this process's grandchild, offscreen, on simulated hardware, with its own data folder. Stopping is the unit's
``KillMode=mixed``: SIGTERM to the main process, then anything left of the tree is killed and reported.
Everything waits for events (notify messages, files, the process's exit); nothing sleeps a fixed time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
UNIT = ROOT / "deploy" / "tongban-kiosk.service"
START_TIMEOUT_S = 180.0  # READY=1 on a machine whose two cores are shared with the rest of the suite


def unit_watchdog_s() -> float:
    """``WatchdogSec=`` of the shipped unit: the test uses the deployment's own figure."""
    found = re.search(r"^WatchdogSec=(\d+)\s*$", UNIT.read_text("utf-8"), re.MULTILINE)
    assert found, "the unit sets no WatchdogSec="
    return float(found.group(1))


@dataclass(frozen=True)
class Message:
    at: float  # time.monotonic() when received
    pid: int  # the sender, from SCM_CREDENTIALS
    fields: dict[str, str]


class NotifySocket:
    """systemd's end of sd_notify."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="sdn-", dir="/tmp"))  # sun_path holds 108 bytes
        self.path = self.folder / "notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(str(self.path))
        self.received: list[Message] = []

    def close(self) -> None:
        self.sock.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def receive(self, timeout: float) -> Message | None:
        """The next message, or None when none came within ``timeout`` seconds."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, ancillary, _flags, _addr = self.sock.recvmsg(4096, socket.CMSG_SPACE(struct.calcsize("iII")))
        except TimeoutError:
            return None
        pid = 0
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", payload[: struct.calcsize("iII")])[0]
        lines = data.decode("utf-8", errors="replace").split("\n")
        message = Message(time.monotonic(), pid, dict(line.split("=", 1) for line in lines if "=" in line))
        self.received.append(message)
        return message

    def wait_for(self, wanted: Callable[[Message], bool], timeout: float, what: str) -> Message:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is not None and wanted(message):
                return message
        raise AssertionError(f"no {what} within {timeout:.0f} s; received {[m.fields for m in self.received]}")

    def collect(self, seconds: float) -> list[Message]:
        """Every message of the next ``seconds`` (a watchdog period is a span of time, not an event)."""
        deadline = time.monotonic() + seconds
        got = []
        while (left := deadline - time.monotonic()) > 0:
            message = self.receive(left)
            if message is not None:
                got.append(message)
        return got


def ping(message: Message) -> bool:
    return message.fields.get("WATCHDOG") == "1"


def processes_mentioning(text: str) -> dict[int, str]:
    """PID → command line of every process whose command line mentions ``text`` (the test's own folder)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in command:
                found[int(entry.name)] = command
    return found


class Service:
    """One ``kiosk run`` under the unit's conditions; see the module docstring."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.data_dir = tmp_path / "data"
        self.notify = NotifySocket()
        self.watchdog_s = unit_watchdog_s()
        self.main: subprocess.Popen[bytes] | None = None
        self.log = tmp_path / "kiosk.stderr"
        self.starts = 0
        self.drive_socket = self.notify.folder / "drive"

    def start(self, *, config: Path | None = None, freezable: bool = False, fault: str = "", drivable: bool = False,
              env: dict[str, str] | None = None) -> None:  # fmt: skip
        """``freezable``: SIGUSR1/SIGUSR2 freeze and thaw the UI loop (freeze/); ``fault``: no_font or no_catalog
        (faults/), what the machine itself cannot be made to lack; ``drivable``: ``drive()`` runs steps on the UI
        thread (drive/), as a touch would. One of the three at a time (each is a sitecustomize)."""
        self.starts += 1
        # python-escpos pickles its printer database into a fresh mkdtemp at each import (seconds on a busy
        # machine): the starts of one test worker share one (a worker starts one kiosk at a time)
        escpos_cache = self.tmp.parent / "escpos-capabilities"
        escpos_cache.mkdir(exist_ok=True)
        self.drive_socket = self.notify.folder / f"drive-{self.starts}"
        environment = {
            **os.environ,
            "NOTIFY_SOCKET": str(self.notify.path),
            "WATCHDOG_USEC": str(int(self.watchdog_s * 1_000_000)),
            "WATCHDOG_PID": str(os.getpid()),
            "SDL_VIDEODRIVER": "offscreen",
            "TMPDIR": str(self.tmp),  # the simulators' helpers (a private pcscd) mention it: leftovers are found
            "KIVY_HOME": str(self.tmp / "kivy"),
            "KIVY_NO_CONSOLELOG": "1",
            "KIVY_NO_ARGS": "1",
            "PYTHONPATH": os.pathsep.join([str(HERE / "freeze")] * freezable + [str(HERE / "faults")] * bool(fault)
                                          + [str(HERE / "drive")] * drivable + [str(ROOT)]),
            "TONGBAN_TEST_FAULT": fault,
            "TONGBAN_TEST_DRIVE": str(self.drive_socket) if drivable else "",
            "ESCPOS_CAPABILITIES_PICKLE_DIR": str(escpos_cache),
            **(env or {}),
        }
        kiosk = [sys.executable, "-m", "kiosk", "run", "--windowed", "--data-dir", str(self.data_dir)]
        kiosk += ["--config", str(config)] if config is not None else []
        with self.log.open("wb") as stderr:
            self.main = subprocess.Popen([sys.executable, str(HERE / "compositor.py"), *kiosk], env=environment,
                                         stdout=subprocess.DEVNULL, stderr=stderr, cwd=self.tmp)  # fmt: skip

    @property
    def kiosk_pid(self) -> int:
        """The compositor's child."""
        assert self.main is not None
        children = Path(f"/proc/{self.main.pid}/task/{self.main.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def ready(self) -> Message:
        return self.notify.wait_for(lambda m: m.fields.get("READY") == "1", START_TIMEOUT_S, "READY=1")

    def heartbeats(self) -> list[dict[str, object]]:
        """The heartbeat bodies the bundled platform simulator stored (platform.url = "sim")."""
        try:
            with sqlite3.connect(self.data_dir / "sim" / "platform.sqlite3", timeout=5) as db:
                return [json.loads(body) for (body,) in db.execute("SELECT body FROM heartbeats ORDER BY rowid")]
        except sqlite3.Error:
            return []

    def drive(self, code: str) -> Any:
        """Run ``code`` on the kiosk's UI thread (``start(drivable=True)``; tests/field/drive/): its ``result``."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.drive_socket.exists():  # bound once the app runs
            assert time.monotonic() < deadline and self.main is not None and self.main.poll() is None, self.stderr()
            time.sleep(0.1)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(90)
            sock.connect(str(self.drive_socket))
            sock.sendall(json.dumps({"code": code}).encode() + b"\n")
            answer = json.loads(sock.makefile("rb").readline())
        assert answer["ok"], answer["error"]
        return answer["result"]

    def drive_until(self, code: str, timeout: float = 60.0, what: str = "") -> Any:
        """``drive(code)`` again until its result is truthy (a PIN checked off the UI thread, a screen shown)."""
        deadline = time.monotonic() + timeout
        while not (result := self.drive(code)):
            assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what or code}"
            time.sleep(0.2)
        return result

    def heartbeat_ids(self) -> set[str]:
        """The kiosk ids the platform stored heartbeats under."""
        with sqlite3.connect(self.data_dir / "sim" / "platform.sqlite3", timeout=5) as db:
            return {kiosk_id for (kiosk_id,) in db.execute("SELECT DISTINCT kiosk_id FROM heartbeats")}

    def wait_heartbeat(self, timeout: float = START_TIMEOUT_S, after: int = 0) -> dict[str, object]:
        """The first heartbeat the platform stored (the staff desk sends one as soon as the hardware is attached),
        or the first after the ``after`` already stored (an earlier start's)."""
        deadline = time.monotonic() + timeout
        while len(beats := self.heartbeats()) <= after:
            assert time.monotonic() < deadline, f"no heartbeat within {timeout:.0f} s\n{self.stderr()[-3000:]}"
            assert self.main is not None and self.main.poll() is None, self.stderr()[-3000:]
            time.sleep(0.2)
        return beats[after]

    def stderr(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM to the main process and its exit status; then (KillMode=mixed) nothing may be left."""
        assert self.main is not None
        if self.main.poll() is None:
            self.main.terminate()
        try:
            status = self.main.wait(timeout)
        finally:
            self.kill_everything()
        return status

    def leftovers(self, settle_s: float = 10.0) -> dict[int, str]:
        """Processes of this service still alive after their parent went (a helper closing takes a moment)."""
        deadline = time.monotonic() + settle_s
        while (left := processes_mentioning(str(self.tmp))) and time.monotonic() < deadline:
            time.sleep(0.2)
        return left

    def kill_everything(self) -> None:
        """What systemd's cgroup kill does: no process of this service outlives the test."""
        if self.main is not None and self.main.poll() is None:
            self.main.kill()
            self.main.wait(30)
        for pid in processes_mentioning(str(self.tmp)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        self.kill_everything()
        self.notify.close()
