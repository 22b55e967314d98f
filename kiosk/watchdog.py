"""systemd notification (sd_notify) in plain Python, and a watchdog feeder for the UI loop.

With ``Type=notify`` and ``WatchdogSec=`` in the unit, systemd passes ``NOTIFY_SOCKET`` (a path, or
``@name`` for an abstract socket) and ``WATCHDOG_USEC``; each message is one datagram of
newline-separated ``KEY=VALUE`` lines. Outside systemd (tests, a developer's desktop) the socket is
unset and every call is a no-op that returns False.

The feeder is ticked from the UI loop, not from a thread of its own: a frozen UI stops the pings and
systemd restarts the kiosk, which is the point.

Under the shipped unit the kiosk is a child of cage, the service's main process: systemd sets
``WATCHDOG_PID`` to cage's PID and accepts our pings because the unit says ``NotifyAccess=all``. So a
``WATCHDOG_PID`` naming this process or one of its ancestors (never PID 1, the ancestor of everything)
means the watchdog is ours to feed; any other PID means it was meant for another process tree.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path

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


def parent_in_stat(stat: str) -> int | None:
    """The parent PID in a ``/proc/<pid>/stat`` line, or None when it is not one."""
    # "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after its last ")".
    closing = stat.rfind(")")
    if closing < 0:
        return None
    fields = stat[closing + 1 :].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isascii() and fields[1].isdigit() else None


def _parent_of(pid: int) -> int | None:
    try:
        return parent_in_stat(Path(f"/proc/{pid}/stat").read_text("utf-8", errors="replace"))
    except OSError:
        return None


def ancestors(pid: int | None = None) -> list[int]:
    """PIDs from this process's parent up to (not including) PID 1 — cage, then whatever started it."""
    found: list[int] = []
    current: int | None = os.getppid() if pid is None else _parent_of(pid)
    while current is not None and current > 1 and current not in found:
        found.append(current)
        current = _parent_of(current)
    return found


def watchdog_meant_for_us(env: Mapping[str, str]) -> bool:
    """No ``WATCHDOG_PID`` (older systemd), our own PID, or an ancestor's (the compositor we run inside)."""
    text = env.get("WATCHDOG_PID", "")
    if not text:
        return True
    if not text.isdigit():
        return False
    pid = int(text)
    return pid == os.getpid() or (pid > 1 and pid in ancestors())


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds systemd waits between pings (WATCHDOG_USEC), or None when no watchdog is meant for us."""
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0 or not watchdog_meant_for_us(env):
        return None
    return usec / 1_000_000


class WatchdogFeeder:
    """Call ``tick()`` often (every frame or every second) from the UI loop; it pings systemd at half
    the watchdog interval, so one late frame never trips the watchdog. Schedule ``feed`` (not ``tick``)
    on a UI clock: Kivy unschedules an interval callback the first time it returns False."""

    def __init__(
        self, env: Mapping[str, str] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._env = dict(os.environ if env is None else env)
        self._clock = clock
        interval = watchdog_interval(self._env)
        self.period = None if interval is None else interval / 2
        self._last: float | None = None
        self.pings = 0

    @property
    def enabled(self) -> bool:
        return self.period is not None and _address(self._env) is not None

    def tick(self) -> bool:
        """True when a ping was sent now."""
        period = self.period
        if period is None or not self.enabled:
            return False
        now = self._clock()
        if self._last is not None and now - self._last < period:
            return False
        self._last = now
        sent = watchdog_ping(self._env)
        self.pings += sent
        return sent

    def feed(self, _dt: float = 0.0) -> None:
        """``tick()`` as a UI-clock callback: returns None whatever ``tick`` says, so it is never unscheduled."""
        self.tick()
