"""The device contract every driver follows (after CEN/XFS-XFS4IoT and UnifiedPOS).

Every device class exposes the same shape: open/close, a typed status with class-specific
fields, capabilities, events pushed to subscribers, counters, and commands that run on the
device's own worker thread, take a timeout, can be cancelled and end with exactly one
completion from a closed set of codes.

Drivers subclass :class:`Device` and implement ``_connect``/``_disconnect`` and, when the
device must be watched (a card reader polling for cards, a printer checking paper), ``_poll``.
Blocking I/O happens only on the worker thread; callers get a :class:`Command` handle.
"""

from __future__ import annotations

import atexit
import enum
import logging
import queue
import random
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

log = logging.getLogger(__name__)


class DeviceState(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    NO_DEVICE = "no_device"
    HARDWARE_ERROR = "hardware_error"
    USER_ERROR = "user_error"
    BUSY = "busy"


class Code(enum.StrEnum):
    """The closed set of command completion codes."""

    SUCCESS = "success"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    DEVICE_NOT_READY = "device_not_ready"
    HARDWARE_ERROR = "hardware_error"
    NO_MEDIA = "no_media"
    MEDIA_REMOVED = "media_removed"
    INVALID_DATA = "invalid_data"
    NOT_AUTHORISED = "not_authorised"
    UNSUPPORTED = "unsupported"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"


class DeviceError(Exception):
    """Raised inside drivers; the worker turns it into a completion with this code."""

    def __init__(self, code: Code, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class CommandCancelled(DeviceError):
    def __init__(self) -> None:
        super().__init__(Code.CANCELLED, "cancelled by caller")


class CommandTimedOut(DeviceError):
    def __init__(self, detail: str = "command timed out") -> None:
        super().__init__(Code.TIMEOUT, detail)


@dataclass(frozen=True)
class DeviceStatus:
    state: DeviceState
    fields: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    def changed_from(self, old: DeviceStatus | None) -> dict[str, Any]:
        """What differs from ``old``: the payload of a status-change event."""
        if old is None:
            return {"state": self.state, **self.fields}
        diff: dict[str, Any] = {}
        if old.state != self.state:
            diff["state"] = self.state
        for key in self.fields.keys() | old.fields.keys():
            if self.fields.get(key) != old.fields.get(key):
                diff[key] = self.fields.get(key)
        return diff


@dataclass(frozen=True)
class Completion:
    command: str
    code: Code
    value: Any = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.code is Code.SUCCESS


@dataclass(frozen=True)
class DeviceEvent:
    """Something a device reports on its own: ``kind`` is class-specific ("card_placed",
    "identity_read", "card_removed", "error") except "status", which every device sends."""

    device: str
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


class CancelToken:
    """Handed to a command's body: it checks this between blocking steps."""

    def __init__(self, timeout: float | None) -> None:
        self._cancelled = threading.Event()
        self.deadline = None if timeout is None else time.monotonic() + timeout

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def remaining(self, cap: float | None = None) -> float | None:
        """Seconds left before the deadline (never negative), optionally capped."""
        if self.deadline is None:
            return cap
        left = max(0.0, self.deadline - time.monotonic())
        return left if cap is None else min(left, cap)

    def check(self) -> None:
        if self._cancelled.is_set():
            raise CommandCancelled()
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise CommandTimedOut()

    def wait(self, seconds: float) -> None:
        """Sleep that wakes early on cancel and raises on cancel or deadline."""
        left = self.remaining(seconds)
        if self._cancelled.wait(left if left is not None else seconds):
            raise CommandCancelled()
        self.check()


class Command:
    """A queued command: ``result()`` blocks for its single completion, ``cancel()`` asks it to stop."""

    def __init__(self, name: str, body: Callable[[CancelToken], Any], timeout: float | None) -> None:
        self.name = name
        self.body = body
        self.token = CancelToken(timeout)
        self._done = threading.Event()
        self._completion: Completion | None = None
        self._callbacks: list[Callable[[Completion], None]] = []
        self._lock = threading.Lock()

    def cancel(self) -> None:
        self.token._cancelled.set()

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: float | None = None) -> Completion:
        if not self._done.wait(timeout):
            raise TimeoutError(f"{self.name} still running")
        assert self._completion is not None
        return self._completion

    def add_done_callback(self, callback: Callable[[Completion], None]) -> None:
        with self._lock:
            if self._completion is None:
                self._callbacks.append(callback)
                return
        callback(self._completion)

    def _finish(self, completion: Completion) -> bool:
        with self._lock:
            if self._completion is not None:
                return False  # exactly one completion per command
            self._completion = completion
            callbacks, self._callbacks = self._callbacks, []
        self._done.set()
        for callback in callbacks:
            try:
                callback(completion)
            except Exception:  # a listener's bug must not kill the device worker
                log.exception("completion callback failed for %s", self.name)
        return True


class Counters:
    """Maintenance counters; thread-safe, snapshot as a plain dict."""

    def __init__(self, initial: dict[str, int] | None = None) -> None:
        self._values: dict[str, int] = dict(initial or {})
        self._lock = threading.Lock()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] = self._values.get(name, 0) + amount

    def reset(self, name: str) -> None:
        with self._lock:
            self._values[name] = 0

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)


Listener = Callable[[DeviceEvent], None]
_STOP = object()
_open_devices: weakref.WeakSet[Device] = weakref.WeakSet()


@atexit.register
def _close_open_devices() -> None:
    """Close what is still open when the interpreter exits. A daemon thread caught inside a C++ library (OpenCV's
    frame read, for one) while Python finalizes is unwound through C++ frames and aborts the whole process
    ("FATAL: exception not rethrown"), so every device worker, and the threads it owns, stops first."""
    for device in list(_open_devices):
        device.close(timeout=2.0)


class Device:
    """Base class: worker thread, command queue, status, events, reconnect with back-off.

    Subclasses set ``device_class`` and implement ``_connect`` (raise DeviceError when the
    device is not there), ``_disconnect`` and optionally ``_poll`` (called on the worker while
    idle and online, every ``poll_interval`` seconds).
    """

    device_class = "device"
    poll_interval: float | None = None
    reconnect_initial = 0.5
    reconnect_max = 30.0

    def __init__(self, name: str | None = None) -> None:
        self.name = name or self.device_class
        self.counters = Counters()
        self._status = DeviceStatus(DeviceState.OFFLINE, detail="not opened")
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()
        self._queue: queue.Queue[Command | object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._connected = False
        self._backoff = self.reconnect_initial
        self._next_connect = 0.0
        self._current: Command | None = None

    # -- public contract -------------------------------------------------------------
    def open(self) -> None:
        """Start the worker; a missing device becomes a status, retried in the background."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"dev-{self.name}", daemon=True)
        self._thread.start()
        _open_devices.add(self)

    def close(self, timeout: float = 5.0) -> None:
        _open_devices.discard(self)
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._current is not None:
            self._current.cancel()
        self._queue.put(_STOP)
        thread.join(timeout)

    def status(self) -> DeviceStatus:
        return self._status

    def capabilities(self) -> dict[str, Any]:
        return {}

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def submit(self, name: str, body: Callable[[CancelToken], Any], timeout: float | None = None) -> Command:
        """Queue ``body`` for the worker. Its return value is the completion's value."""
        command = Command(name, body, timeout)
        if self._thread is None:
            command._finish(Completion(name, Code.DEVICE_NOT_READY, detail="device not opened"))
            return command
        self._queue.put(command)
        return command

    # -- for subclasses --------------------------------------------------------------
    def _connect(self) -> None:
        raise NotImplementedError

    def _disconnect(self) -> None:
        pass

    def _poll(self) -> None:
        pass

    def _emit(self, kind: str, **payload: Any) -> None:
        event = DeviceEvent(self.name, kind, payload)
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("listener failed for %s event %s", self.name, kind)

    def _set_status(self, state: DeviceState, detail: str = "", **fields: Any) -> None:
        """Replace state (and the given fields, keeping the others); emit what changed."""
        old = self._status
        new = replace(old, state=state, fields={**old.fields, **fields}, detail=detail)
        self._status = new
        diff = new.changed_from(old)
        if diff:
            self._emit("status", changed=diff, state=str(new.state), detail=detail)

    def _lost(self, error: DeviceError) -> None:
        """The device went away: drop the connection and retry in the background."""
        if self._connected:
            try:
                self._disconnect()
            except Exception:
                log.debug("disconnect after loss failed", exc_info=True)
        self._connected = False
        self._next_connect = time.monotonic()
        state = DeviceState.NO_DEVICE if error.code is Code.DEVICE_NOT_READY else DeviceState.HARDWARE_ERROR
        self._set_status(state, detail=error.detail)

    # -- worker ----------------------------------------------------------------------
    def _try_connect(self) -> None:
        if time.monotonic() < self._next_connect:
            return
        try:
            self._connect()
        except DeviceError as error:
            state = DeviceState.NO_DEVICE if error.code is Code.DEVICE_NOT_READY else DeviceState.HARDWARE_ERROR
            self._set_status(state, detail=error.detail)
            delay = self._backoff * random.uniform(0.8, 1.2)
            self._next_connect = time.monotonic() + delay
            self._backoff = min(self._backoff * 2, self.reconnect_max)
            return
        except Exception as error:  # a driver bug is a hardware error, not a dead thread
            log.exception("connect failed on %s", self.name)
            self._set_status(DeviceState.HARDWARE_ERROR, detail=type(error).__name__)
            self._next_connect = time.monotonic() + self.reconnect_max
            return
        self._connected = True
        self._backoff = self.reconnect_initial
        if self._status.state is not DeviceState.ONLINE:
            self._set_status(DeviceState.ONLINE)

    def _wait_interval(self) -> float:
        if not self._connected:
            return max(0.01, min(self._next_connect - time.monotonic(), 1.0))
        return self.poll_interval if self.poll_interval is not None else 1.0

    def _run(self) -> None:
        while True:
            if not self._connected:
                self._try_connect()
            try:
                item = self._queue.get(timeout=self._wait_interval())
            except queue.Empty:
                if self._connected and self.poll_interval is not None:
                    self._guarded(self._poll)
                continue
            if item is _STOP:
                break
            assert isinstance(item, Command)
            self._execute(item)
            # drop the finished command now: its completion may hold a resident's identity, and an idle
            # worker would otherwise keep it alive until the next command arrives
            item = None
        if self._connected:
            self._guarded(self._disconnect)
            self._connected = False
        self._drain()
        self._set_status(DeviceState.OFFLINE, detail="closed")

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except DeviceError as error:
            self.counters.add(f"failures.{error.code}")
            if error.code in (Code.DEVICE_NOT_READY, Code.HARDWARE_ERROR):
                self._lost(error)
        except Exception as error:
            log.exception("%s failed on %s", getattr(step, "__name__", "step"), self.name)
            self._lost(DeviceError(Code.HARDWARE_ERROR, type(error).__name__))

    def _execute(self, command: Command) -> None:
        if command.token.cancelled:
            command._finish(Completion(command.name, Code.CANCELLED, detail="cancelled before start"))
            return
        if not self._connected:
            self._try_connect()
        if not self._connected:
            command._finish(Completion(command.name, Code.DEVICE_NOT_READY, detail=self._status.detail))
            return
        self._current = command
        try:
            value = command.body(command.token)
            completion = Completion(command.name, Code.SUCCESS, value)
        except DeviceError as error:
            self.counters.add(f"failures.{error.code}")
            completion = Completion(command.name, error.code, detail=error.detail)
            if error.code in (Code.DEVICE_NOT_READY, Code.HARDWARE_ERROR):
                self._lost(error)
        except Exception as error:
            log.exception("command %s failed on %s", command.name, self.name)
            self.counters.add(f"failures.{Code.HARDWARE_ERROR}")
            completion = Completion(command.name, Code.HARDWARE_ERROR, detail=type(error).__name__)
        finally:
            self._current = None
        command._finish(completion)

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, Command):
                item._finish(Completion(item.name, Code.CANCELLED, detail="device closed"))
