"""Loaded by the kiosk under test through PYTHONPATH (tests/field only): SIGUSR1 freezes the main thread — Kivy's
UI loop — until SIGUSR2, as a hung handler or a deadlock would, while every other thread (devices, outbox,
heartbeat) runs on. Each change is announced on the notify socket, so the test waits for it instead of sleeping."""

from __future__ import annotations

import os
import signal
import socket
import threading

_thawed = threading.Event()


def _announce(text: str) -> None:
    path = os.environ.get("NOTIFY_SOCKET", "")
    if path.startswith("/"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(f"STATUS={text}".encode(), path)


def _freeze(*_: object) -> None:
    _thawed.clear()
    _announce("test: UI loop frozen")
    _thawed.wait()  # SIGUSR2's handler runs inside this wait and sets the event
    _announce("test: UI loop thawed")


signal.signal(signal.SIGUSR1, _freeze)
signal.signal(signal.SIGUSR2, lambda *_: _thawed.set())
