"""systemd notification (sd_notify) in plain Python, and a watchdog feeder for the UI loop.

With ``Type=notify`` and ``WatchdogSec=`` in the unit, systemd passes ``NOTIFY_SOCKET`` (a path, or
``@name`` for an abstract socket) and ``WATCHDOG_USEC``; each message is one datagram of
newline-separated ``KEY=VALUE`` lines. Outside systemd (tests, a developer's desktop) the socket is
unset and every call is a no-op that returns False.

The feeder is ticked from the UI loop, not from a thread of its own: a frozen UI stops the pings and
systemd restarts the kiosk, which is the point.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def _address(env: Mapping[str, str]) -> str | None:
    path = env.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    if path.startswith("@"):
        return "\0" + path[1:]  # Linux abstract namespace
    if path.startswith("/"):
        return path
    log.warning("ignoring NOTIFY_SOCKET that is neither a path nor abstract: %r", path)
    return None


def notify(*lines: str, env: Mapping[str, str] | None = None) -> bool:
    """Send ``lines`` (e.g. "READY=1", "STATUS=…") as one datagram; False when there is nobody to tell."""
    address = _address(os.environ if env is None else env)
    if address is None:
        return False
    message = "\n".join(lines).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message)
    except OSError as error:
        log.warning("sd_notify failed: %s", error)
        return False
    return True


def ready(status: str = "", env: Mapping[str, str] | None = None) -> bool:
    return notify("READY=1", *([f"STATUS={status}"] if status else []), env=env)


def status(text: str, env: Mapping[str, str] | None = None) -> bool:
    return notify(f"STATUS={text.splitlines()[0] if text else ''}", env=env)


def stopping(env: Mapping[str, str] | None = None) -> bool:
    return notify("STOPPING=1", env=env)


def watchdog_ping(env: Mapping[str, str] | None = None) -> bool:
    return notify("WATCHDOG=1", env=env)


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds systemd waits between pings (WATCHDOG_USEC), or None when no watchdog is meant for us."""
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 1_000_000


class WatchdogFeeder:
    """Call ``tick()`` often (every frame or every second) from the UI loop; it pings systemd at half
    the watchdog interval, so one late frame never trips the watchdog."""

    def __init__(
        self, env: Mapping[str, str] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._env = dict(os.environ if env is None else env)
        self._clock = clock
        interval = watchdog_interval(self._env)
        self.period = None if interval is None else interval / 2
        self._last: float | None = None

    @property
    def enabled(self) -> bool:
        return self.period is not None and _address(self._env) is not None

    def tick(self) -> bool:
        """True when a ping was sent now."""
        if not self.enabled:
            return False
        now = self._clock()
        if self._last is not None and now - self._last < self.period:
            return False
        self._last = now
        return watchdog_ping(self._env)
