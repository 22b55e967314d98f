"""Real-time status (``DLE EOT n``) decoding, and what a status means for a print job.

Every reply byte has bits 1 and 4 set and bits 0 and 7 clear (mask 0x93 must read 0x12); anything else is not a
status byte. "No answer" is its own state (``answering=False``), never confused with "no paper" — python-escpos'
``paper_status()`` returns 0 for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from drivers.contract import Code, DeviceState

DLE_EOT = b"\x10\x04"
FIXED_MASK, FIXED_VALUE = 0x93, 0x12

PaperLevel = Literal["ok", "near_end", "end", "unknown"]


class StatusByteError(ValueError):
    """The byte read is not a DLE EOT reply."""


def query(n: int) -> bytes:
    if n not in (1, 2, 3, 4):
        raise ValueError("DLE EOT n is 1..4")
    return DLE_EOT + bytes([n])


def is_status_byte(value: int) -> bool:
    return 0 <= value <= 0xFF and value & FIXED_MASK == FIXED_VALUE


def _bits(value: int) -> int:
    if not is_status_byte(value):
        raise StatusByteError(f"0x{value:02x} is not a status byte (bits 1,4 set and 0,7 clear)")
    return value


def decode_printer(value: int) -> dict[str, bool]:
    """n=1: bit 2 drawer pin high, bit 3 offline, bit 5 waiting for online recovery, bit 6 feed button pressed."""
    v = _bits(value)
    return {"drawer_high": bool(v & 0x04), "offline": bool(v & 0x08), "waiting_recovery": bool(v & 0x20),
            "feed_button": bool(v & 0x40)}


def decode_offline(value: int) -> dict[str, bool]:
    """n=2: bit 2 cover open, bit 3 paper fed by the feed button, bit 5 stopped at paper end, bit 6 error."""
    v = _bits(value)
    return {"cover_open": bool(v & 0x04), "feeding": bool(v & 0x08), "stopped_paper_end": bool(v & 0x20),
            "error": bool(v & 0x40)}


def decode_error(value: int) -> dict[str, bool]:
    """n=3: bit 3 autocutter error, bit 5 unrecoverable error, bit 6 automatically recoverable error."""
    v = _bits(value)
    return {"cutter_error": bool(v & 0x08), "unrecoverable": bool(v & 0x20), "auto_recoverable": bool(v & 0x40)}


def decode_paper(value: int) -> PaperLevel:
    """n=4: bits 2–3 paper near end, bits 5–6 paper end (either bit of a pair counts: models set one or both)."""
    v = _bits(value)
    if v & 0x60:
        return "end"
    if v & 0x0C:
        return "near_end"
    return "ok"


@dataclass(frozen=True)
class PrinterStatus:
    answering: bool | None  # None: the transport cannot read (a file or a one-way port)
    online: bool = True
    cover_open: bool = False
    paper: PaperLevel = "unknown"
    cutter_error: bool = False
    unrecoverable: bool = False
    error: bool = False

    @classmethod
    def no_answer(cls) -> PrinterStatus:
        return cls(answering=False, online=False)

    @classmethod
    def unreadable(cls) -> PrinterStatus:
        return cls(answering=None)

    @classmethod
    def from_replies(cls, eot1: int, eot2: int, eot4: int, eot3: int | None = None) -> PrinterStatus:
        printer, offline, paper = decode_printer(eot1), decode_offline(eot2), decode_paper(eot4)
        errors = decode_error(eot3) if eot3 is not None else {"cutter_error": False, "unrecoverable": False}
        if offline["stopped_paper_end"]:
            paper = "end"
        return cls(answering=True, online=not printer["offline"], cover_open=offline["cover_open"], paper=paper,
                   cutter_error=errors["cutter_error"], unrecoverable=errors["unrecoverable"],
                   error=offline["error"])

    def fault(self) -> tuple[Code, str] | None:
        """Why a job cannot print now, as a completion code and detail; None when it can."""
        if self.answering is None:
            return None
        if not self.answering:
            return Code.DEVICE_NOT_READY, "printer does not answer DLE EOT"
        if self.cover_open:
            return Code.COVER_OPEN, "cover open"
        if self.paper == "end":
            return Code.PAPER_OUT, "paper out"
        if self.cutter_error:
            return Code.HARDWARE_ERROR, "autocutter error"
        if self.unrecoverable:
            return Code.HARDWARE_ERROR, "unrecoverable printer error"
        if self.error:
            return Code.HARDWARE_ERROR, "printer error"
        if not self.online:
            return Code.DEVICE_NOT_READY, "printer offline"
        return None

    def state(self) -> DeviceState:
        fault = self.fault()
        if fault is None:
            return DeviceState.ONLINE
        code = fault[0]
        if not self.answering:
            return DeviceState.NO_DEVICE
        if code in (Code.COVER_OPEN, Code.PAPER_OUT):
            return DeviceState.USER_ERROR
        if code is Code.HARDWARE_ERROR:
            return DeviceState.HARDWARE_ERROR
        return DeviceState.OFFLINE

    def fields(self) -> dict[str, object]:
        return {"answering": self.answering, "online": self.online, "cover_open": self.cover_open,
                "paper": self.paper, "cutter_error": self.cutter_error, "unrecoverable": self.unrecoverable}
