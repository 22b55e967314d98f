"""``kiosk run`` stopped by SIGTERM (systemd's stop, the start-up bench) closes everything it started: it exits 0
and leaves no helper process behind (the simulated social-security card's private pcscd)."""

from __future__ import annotations

import os
import socket
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


def test_sigterm_closes_devices_and_simulators(tmp_path):
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
