"""``kiosk run`` stopped by SIGTERM (systemd's stop, the start-up bench) closes everything it started: it exits 0
and leaves no helper process behind (the simulated social-security card's private pcscd), also when the stop comes
while the devices are still starting (they start after the first frame)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def helpers_of(tmp_path: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(tmp_path) in command and "kiosk" not in command:
                found.append(command)
    return found


def heartbeats(data: Path) -> int:
    """Heartbeats the platform simulator stored: the staff desk sends them once the hardware is attached."""
    try:
        with sqlite3.connect(data / "sim" / "platform.sqlite3", timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM heartbeats").fetchone()[0]
    except sqlite3.Error:
        return 0


def run_kiosk(tmp_path: Path, after_ready) -> None:
    """Start ``kiosk run``, wait for READY=1 (its first frame), call ``after_ready``, stop it with SIGTERM; it must
    exit 0 and leave no helper process."""
    notify = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify))
    listener.settimeout(120)
    env = {**os.environ, "NOTIFY_SOCKET": str(notify), "SDL_VIDEODRIVER": "offscreen", "TMPDIR": str(tmp_path),
           "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_CONSOLELOG": "1", "PYTHONPATH": str(ROOT)}  # fmt: skip
    command = [sys.executable, "-m", "kiosk", "run", "--windowed", "--data-dir", str(tmp_path / "data")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while "READY=1" not in listener.recv(4096).decode().split("\n"):
            pass
        after_ready()
        process.terminate()
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        listener.close()
    deadline = time.monotonic() + 10
    while helpers_of(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert helpers_of(tmp_path) == []


def test_sigterm_right_after_the_first_frame_closes_what_is_starting(tmp_path):
    run_kiosk(tmp_path, lambda: None)


def test_devices_and_platform_start_after_the_first_frame(tmp_path):
    def attached() -> None:
        deadline = time.monotonic() + 60
        while heartbeats(tmp_path / "data") == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert heartbeats(tmp_path / "data") > 0

    run_kiosk(tmp_path, attached)
