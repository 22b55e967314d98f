"""An ESC/POS receipt printer on loopback TCP: parses what it receives with its own parser, "prints" every job up
to a cut to a PNG, answers ``DLE EOT`` from its simulated state and injects faults.

    emu = PrinterEmulator(out_dir=tmp_path)    # port=0: any free port
    emu.start()
    ... ThermalPrinter(f"tcp://127.0.0.1:{emu.port}") ...
    emu.jobs[-1].lines, emu.jobs[-1].qr_payloads, emu.jobs[-1].png
    emu.set_fault("paper_out", 5)              # paper runs out after 5 more line feeds
    emu.clear_faults(); emu.power_cycle(); emu.stop()

Like a real network printer it serves one connection at a time; others wait in the backlog.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from drivers.sim.printer.parser import EscPosParser, Op
from drivers.sim.printer.printout import PrintHead, Printout, render

log = logging.getLogger(__name__)

# name → meaning of the value given to set_fault
FAULTS: dict[str, str] = {
    "paper_out": "paper ends after this many more line feeds (0: now)",
    "paper_near_end": "near-end sensor on (still prints)",
    "cover_open": "cover open: stops printing",
    "offline": "offline without another cause: stops printing",
    "cutter_error": "autocutter jammed: stops printing, error bits set",
    "no_answer": "never answers DLE EOT (prints on)",
    "slow": "seconds spent per line feed",
    "reset": "connection reset after this many more bytes",
}
_STOPPING = ("paper_end", "cover_open", "offline", "cutter_error")


@dataclass
class EmulatedJob:
    index: int
    lines: list[str]  # decoded text lines, as printed
    qr_payloads: list[str]
    complete: bool  # ended with a cut
    fault: str | None  # what stopped it part-way: paper_out, cover_open, offline, cutter_error, reset, power
    bytes_received: int
    auto_wraps: int
    errors: list[str] = field(default_factory=list)  # commands the parser did not accept
    png: Path | None = None
    printout: Printout | None = field(default=None, repr=False)


class PrinterEmulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, out_dir: Path | str | None = None,
                 dots: int = 384, render_png: bool = True) -> None:
        self.host = host
        self._requested_port = port
        self.port = 0
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.dots = dots
        self.render_png = render_png and self.out_dir is not None
        self.render_seconds: list[float] = []
        self._jobs: list[EmulatedJob] = []
        self._finished = 0  # jobs ended so far: their numbers (the list may be cleared by a test)
        self._cond = threading.Condition()
        self._state: dict[str, float | bool] = {}  # guarded by _cond
        self._head = PrintHead(dots)
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._powered = threading.Event()
        self._drop = threading.Event()
        self._job_bytes = 0
        self._pending_errors: list[str] = []
        self._off_seconds = 0.2
        # Pictures are drawn on their own thread: a real printer answers DLE EOT at once, and drawing on the
        # wire thread (slow on a loaded machine) made the driver time out on a job that had printed.
        self._renders: queue.SimpleQueue[EmulatedJob | None] = queue.SimpleQueue()
        self._renderer: threading.Thread | None = None

    # -- control API ------------------------------------------------------------------------------------------------
    @property
    def address(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def jobs(self) -> list[EmulatedJob]:
        with self._cond:
            return list(self._jobs)

    def start(self) -> PrinterEmulator:
        self._listen()
        self._powered.set()
        self._thread = threading.Thread(target=self._serve, name="printer-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._powered.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._close_listener()
        if self._renderer is not None:
            self._renders.put(None)  # after the jobs already queued: their pictures are finished first
            self._renderer.join(30)
            self._renderer = None

    def __enter__(self) -> PrinterEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_fault(self, name: str, value: float | bool = True) -> None:
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        with self._cond:
            if name == "paper_out":
                if value is True or not value:
                    self._state["paper_end"] = True
                else:
                    self._state["paper_left"] = int(value)
            else:
                self._state[name] = value

    def clear_faults(self) -> None:
        """Paper loaded, cover shut, cutter freed, back online, answering and fast."""
        with self._cond:
            self._state.clear()

    def faults(self) -> dict[str, float | bool]:
        with self._cond:
            return dict(self._state)

    def power_cycle(self, off_seconds: float = 0.2) -> None:
        """Switch off (the connection drops, the port refuses) and on again; mode state is lost, faults stay."""
        self._powered.clear()
        self._drop.set()
        self._off_seconds = off_seconds

    @property
    def finished(self) -> int:
        """Jobs finished on the wire so far, numbered from 1; one is in ``jobs`` once its picture is drawn, so
        "the next job" is ``wait_for_job(finished + 1)``, not ``len(jobs) + 1`` (an earlier job may still be
        drawing)."""
        with self._cond:
            return self._finished

    def wait_for_job(self, index: int, timeout: float = 10.0) -> EmulatedJob:
        """Job number ``index``, once listed."""
        with self._cond:
            if not self._cond.wait_for(lambda: any(j.index == index for j in self._jobs), timeout):
                raise TimeoutError(f"job {index} not printed ({self._finished} finished, {len(self._jobs)} listed)")
            return next(j for j in self._jobs if j.index == index)

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[EmulatedJob]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._jobs) >= count, timeout):
                raise TimeoutError(f"{len(self._jobs)} jobs printed, waited for {count}")
            return list(self._jobs)

    def status_byte(self, n: int) -> int:
        """The reply to ``DLE EOT n`` now: bits 1 and 4 set, 0 and 7 clear, the rest from the simulated state."""
        with self._cond:
            s = self._state
            stopped = any(s.get(k) for k in _STOPPING)
            value = 0x12
            if n == 1:
                value |= 0x08 if stopped else 0
            elif n == 2:
                value |= (0x04 if s.get("cover_open") else 0) | (0x20 if s.get("paper_end") else 0)
                value |= 0x40 if s.get("cutter_error") else 0
            elif n == 3:
                value |= 0x08 if s.get("cutter_error") else 0
            elif n == 4:
                value |= (0x6C if s.get("paper_end") else 0) | (0x0C if s.get("paper_near_end") else 0)
            return value

    # -- server -----------------------------------------------------------------------------------------------------
    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port or self._requested_port))
        listener.listen(4)
        listener.settimeout(0.05)
        self._listener = listener
        self.port = listener.getsockname()[1]

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not self._powered.is_set():
                self._power_off()
                continue
            assert self._listener is not None
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                raise
            self._conn = conn
            try:
                self._session(conn)
            finally:
                self._conn = None
                conn.close()

    def _power_off(self) -> None:
        self._close_listener()
        self._finish(fault="power", complete=False)
        self._head = PrintHead(self.dots)
        time.sleep(self._off_seconds)
        self._drop.clear()
        if not self._stop.is_set():
            self._listen()
        self._powered.set()

    def _session(self, conn: socket.socket) -> None:
        parser = EscPosParser(strict=False)
        conn.settimeout(0.05)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while not self._stop.is_set():
            if self._drop.is_set():
                _reset(conn)
                return
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if self._reset_due(len(data)):
                self._finish(fault="reset", complete=False)
                _reset(conn)
                return
            self._job_bytes += len(data)
            for op in parser.feed(data):
                self._handle(op, conn)
            self._pending_errors += parser.errors
            parser.errors.clear()
        # the host hung up: a job without its cut still came out of the printer
        self._finish(fault=None, complete=False)

    def _reset_due(self, size: int) -> bool:
        with self._cond:
            left = self._state.get("reset")
            if left is None or left is False:
                return False
            left = float(left) - size
            if left > 0:
                self._state["reset"] = left
                return False
            del self._state["reset"]  # one-shot: the reconnection is served
            return True

    def _handle(self, op: Op, conn: socket.socket) -> None:
        if op.name == "status_request":
            if not self.faults().get("no_answer"):
                with contextlib.suppress(OSError):
                    conn.sendall(bytes([self.status_byte(op.args[0])]))
            return
        if op.name in ("realtime_request", "realtime_command"):
            return
        faults = self.faults()
        stopped = next((k for k in _STOPPING if faults.get(k)), None)
        if stopped is not None:
            # a stopped printer prints nothing more: what it printed so far is the job
            self._finish(fault="paper_out" if stopped == "paper_end" else stopped, complete=False)
            return
        if self._head.apply(op):
            self._finish(fault=None, complete=True)
        if op.name in ("lf", "feed_lines"):
            self._after_feed(faults)

    def _after_feed(self, faults: dict[str, float | bool]) -> None:
        slow = faults.get("slow")
        if slow and slow is not True:
            time.sleep(float(slow))
        with self._cond:
            left = self._state.get("paper_left")
            if left is None:
                return
            left = int(left) - 1
            if left > 0:
                self._state["paper_left"] = left
                return
            del self._state["paper_left"]
            self._state["paper_end"] = True
        self._finish(fault="paper_out", complete=False)

    def _finish(self, fault: str | None, complete: bool) -> None:
        printout = self._head.take()
        errors, self._pending_errors = self._pending_errors, []
        received, self._job_bytes = self._job_bytes, 0
        if not printout:
            return
        with self._cond:
            self._finished += 1
            index = self._finished
        job = EmulatedJob(index, printout.lines, printout.qr_payloads, complete, fault, received,
                          printout.auto_wraps, errors, printout=printout)
        log.info("printed job %d: %d lines, %s", index, len(job.lines), fault or "complete")
        if not self.render_png:
            self._publish(job)
            return
        if self._renderer is None:
            self._renderer = threading.Thread(target=self._render_jobs, name="printer-emulator-render", daemon=True)
            self._renderer.start()
        self._renders.put(job)

    def _render_jobs(self) -> None:
        while (job := self._renders.get()) is not None:
            assert self.out_dir is not None and job.printout is not None
            started = time.perf_counter()
            path = self.out_dir / f"job-{job.index:04d}.png"
            try:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                render(job.printout, self.dots).save(path)
                job.png = path
            except Exception:  # a picture that cannot be drawn must not stop the printer
                log.exception("rendering job %d failed", job.index)
            self.render_seconds.append(time.perf_counter() - started)
            self._publish(job)

    def _publish(self, job: EmulatedJob) -> None:
        """A job is listed (and waiters woken) once its picture, if any, is on disk."""
        with self._cond:
            self._jobs.append(job)
            self._cond.notify_all()


def _reset(conn: socket.socket) -> None:
    """Close with RST, as a printer that loses power or crashes does."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def printouts_from_bytes(data: bytes, dots: int = 384) -> tuple[list[Printout], list[str]]:
    """Replay a captured byte stream: the printouts (one per cut, plus an uncut tail) and the parser's complaints."""
    parser = EscPosParser(strict=False)
    head = PrintHead(dots)
    printouts: list[Printout] = []
    for op in parser.feed(data):
        if head.apply(op):
            printouts.append(head.take())
    errors = list(parser.errors)
    if parser.pending:
        errors.append(f"stream ends inside a command ({parser.pending} bytes)")
    tail = head.take()
    if tail:
        printouts.append(tail)
    return [p for p in printouts if p], errors
