"""A SAM ID-card reader on a pseudo-terminal pair, paced at the configured baud rate.

In-process control API (used by the CLI, tests, the kiosk demo and benchmarks)::

    sim = IdCardSimulator(baud=115200, faults=["garbage"]).start()
    reader = IdCardReader(sim.port, 115200)   # the driver opens the pty slave with pyserial
    sim.place("resident-li")                  # a deck index, card id or SimCard
    sim.remove()
    sim.set_faults(["read_failed"])           # replaces the active faults
    sim.stop()

Faults (``name`` or ``name:PARAM``):

- ``no_card``: find never sees a card, even one placed (persistent);
- ``place_after:N``: a placed card becomes visible only after N more find polls (default 3);
- ``remove_mid_read[:N]``: the next N reads send half their reply, then the card is gone;
- ``bad_checksum[:N]``: the next N read replies carry a wrong CHK;
- ``garbage``: junk bytes, including broken preambles, before every reply (persistent);
- ``sam_not_authorised``: SAM status, find, select and read answer SW3 66 (persistent);
- ``read_failed[:N]``: the next N reads answer SW3 41;
- ``slow[:SECONDS]``: read replies start SECONDS late (default 1.0; persistent);
- ``silence[:N]``: no replies at all (persistent), or to the next N commands only;
- ``silence_select[:N]``: the next N select commands get no reply (default 1).
"""

from __future__ import annotations

import logging
import os
import random
import select
import struct
import threading
import time
import tty
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from drivers.sim.idcard import frames
from drivers.sim.idcard.cards import SimCard, load_deck

log = logging.getLogger(__name__)

FAULTS = (
    "no_card",
    "place_after",
    "remove_mid_read",
    "bad_checksum",
    "garbage",
    "sam_not_authorised",
    "read_failed",
    "slow",
    "silence",
    "silence_select",
)
_DEFAULT_PARAM = {
    "place_after": 3.0,
    "remove_mid_read": 1.0,
    "bad_checksum": 1.0,
    "read_failed": 1.0,
    "slow": 1.0,
    "silence_select": 1.0,
}
_COMMANDS = {
    (0x11, 0xFF): "sam_status",
    (0x12, 0xFF): "sam_id",
    (0x20, 0x01): "find",
    (0x20, 0x02): "select",
    (0x30, 0x01): "read",
    (0x30, 0x10): "read_fingerprint",
}
_BROKEN_STARTS = (b"\xaa\xaa", b"\xaa\xaa\xaa\x96", frames.SYNC + b"\x00\x01", frames.SYNC + b"\x00\x05\x00", b"")
DEFAULT_SAM_ID = bytes.fromhex("0500010054E9320146B39D0084A3F063")


@dataclass
class Fault:
    name: str
    param: float = 0.0

    @classmethod
    def parse(cls, spec: str | Fault) -> Fault:
        if isinstance(spec, Fault):
            return spec
        name, _, value = spec.partition(":")
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        try:
            param = float(value) if value else _DEFAULT_PARAM.get(name, 0.0)
        except ValueError:
            raise ValueError(f"fault {spec!r}: parameter is not a number") from None
        return cls(name, param)


class IdCardSimulator:
    def __init__(
        self,
        deck: str | Path | list[SimCard] | None = None,
        baud: int = 115200,
        faults: Iterable[str | Fault] = (),
        *,
        quiet_after_read: bool = False,
        seed: int = 0,
    ) -> None:
        """``quiet_after_read``: like some real readers, find answers 80 for a card already read."""
        self.cards = deck if isinstance(deck, list) else load_deck(deck)
        self.baud = baud
        self.quiet_after_read = quiet_after_read
        self.counts: Counter[str] = Counter()
        self._faults: list[Fault] = [Fault.parse(f) for f in faults]
        self._card: SimCard | None = None
        self._card_read = False
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master = self._slave = -1
        self.port = ""

    # -- control API ----------------------------------------------------------------------
    def start(self) -> IdCardSimulator:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or line discipline before the driver opens it
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="sim-idcard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> IdCardSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def card(self, which: int | str | SimCard) -> SimCard:
        if isinstance(which, SimCard):
            return which
        if isinstance(which, int):
            return self.cards[which]
        for card in self.cards:
            if card.id == which:
                return card
        raise KeyError(f"no card {which!r} in the deck")

    def place(self, which: int | str | SimCard = 0) -> SimCard:
        card = self.card(which)
        with self._lock:
            self._card, self._card_read = card, False
        return card

    def remove(self) -> None:
        with self._lock:
            self._card, self._card_read = None, False

    @property
    def placed(self) -> SimCard | None:
        return self._card

    def set_faults(self, faults: Iterable[str | Fault]) -> None:
        parsed = [Fault.parse(f) for f in faults]
        with self._lock:
            self._faults = parsed

    @property
    def faults(self) -> list[str]:
        with self._lock:
            return [f"{f.name}:{f.param:g}" if f.param else f.name for f in self._faults]

    def wire_seconds(self, nbytes: int) -> float:
        """Time ``nbytes`` take on the wire (8N1: 10 bits a byte)."""
        return nbytes * 10 / self.baud

    # -- fault bookkeeping ------------------------------------------------------------------
    def _active(self, name: str) -> Fault | None:
        with self._lock:
            return next((f for f in self._faults if f.name == name), None)

    def _consume(self, name: str) -> bool:
        """Use one shot of a counted fault; True when it fired."""
        with self._lock:
            for fault in self._faults:
                if fault.name == name:
                    fault.param -= 1
                    if fault.param <= 0:
                        self._faults.remove(fault)
                    return True
        return False

    def _visible(self) -> SimCard | None:
        if self._card is None or self._active("no_card"):
            return None
        if self._active("place_after"):
            self._consume("place_after")
            return None
        return self._card

    # -- serving ------------------------------------------------------------------------------
    def _serve(self) -> None:
        commands = frames.CommandBuffer()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self._master, 4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:  # no slave open at the moment (EIO): wait for the driver to come back
                self._stop.wait(0.05)
                continue
            for cmd, para, body, ok in commands.push(data):
                time.sleep(self.wire_seconds(10 + len(body)))  # the command's own time on the wire
                self._answer(cmd, para, ok)

    def _answer(self, cmd: int, para: int, checksum_ok: bool) -> None:
        command = _COMMANDS.get((cmd, para), "unknown")
        self.counts[command] += 1
        silence = self._active("silence")
        if silence is not None:
            if silence.param:  # counted: this command is one of them
                self._consume("silence")
            return
        if command == "select" and self._consume("silence_select"):
            return
        if cmd < 0:
            self._send(frames.reply(0x11))
            return
        if not checksum_ok:
            self._send(frames.reply(0x10))
            return
        unauthorised = self._active("sam_not_authorised") is not None
        if command == "sam_id":
            self._send(frames.reply(0x90, DEFAULT_SAM_ID))
        elif unauthorised and command in ("sam_status", "find", "select", "read"):
            self._send(frames.reply(0x66))
        elif command == "sam_status":
            self._send(frames.reply(0x90))
        elif command == "find":
            card = self._visible()
            seen = card is not None and not (self.quiet_after_read and self._card_read)
            self._send(frames.reply(0x9F, bytes(4)) if seen else frames.reply(0x80))
        elif command == "select":
            present = self._card is not None and not self._active("no_card")
            self._send(frames.reply(0x90, bytes(8)) if present else frames.reply(0x81))
        elif command in ("read", "read_fingerprint"):
            self._read(command == "read_fingerprint")
        else:
            self._send(frames.reply(0x21))

    def _read(self, fingerprint: bool) -> None:
        card = self._card
        if card is None or self._consume("read_failed"):
            self._send(frames.reply(0x41))
            return
        if fingerprint:
            data = struct.pack(">HHH", 256, 1024, 1024) + card.text + card.photo + bytes(1024)
        else:
            data = struct.pack(">HH", 256, 1024) + card.text + card.photo
        frame = frames.reply(0x90, data, corrupt=self._consume("bad_checksum"))
        slow = self._active("slow")
        if slow:
            self._stop.wait(slow.param)
        if self._consume("remove_mid_read"):
            self._send(frame[: len(frame) // 2])
            self.remove()
            return
        self._send(frame)
        with self._lock:
            self._card_read = self._card is card

    # -- the wire ---------------------------------------------------------------------------
    def _send(self, frame: bytes) -> None:
        if self._active("garbage"):
            junk = bytes(self._random.randrange(256) for _ in range(self._random.randrange(6, 24)))
            frame = self._random.choice(_BROKEN_STARTS) + junk + frame
        per_ms = max(1, self.baud // 10_000)  # write about a millisecond of wire time at once
        start = time.monotonic()
        for at in range(0, len(frame), per_ms):
            part = frame[at : at + per_ms]
            delay = start + self.wire_seconds(at + len(part)) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self._stop.is_set() or not self._write(part):
                return

    def _write(self, data: bytes) -> bool:
        while data:
            try:
                data = data[os.write(self._master, data) :]
            except BlockingIOError:
                if self._stop.is_set():
                    return False
                select.select([], [self._master], [], 0.05)
            except OSError:
                return False
        return True
