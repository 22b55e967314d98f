"""The SAM ID-card reader as a contract Device: polls find → select → read and reports cards as events.

Events: ``card_placed``, ``identity_read`` (``identity``: drivers.identity.Identity, ``photo_image``:
PhotoImage or None), ``card_removed`` (``reason``), ``error`` (``code``: drivers.contract.Code,
``detail``), plus the contract's ``status``. Commands: ``read_card``, ``sam_status``, ``sam_id``,
``self_test``. All serial I/O runs on the device worker thread.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import serial

from drivers.contract import (
    CancelToken,
    Code,
    Command,
    CommandCancelled,
    CommandTimedOut,
    Device,
    DeviceError,
    DeviceState,
    DeviceStatus,
)
from drivers.idcard import codec
from drivers.idcard.codec import FrameScanner, Reply, build_command, parse_reply
from drivers.idcard.errors import FrameError, IdCardError, ReaderStatusError
from drivers.idcard.photo import PhotoDecoder, PhotoImage, load_photo_decoder
from drivers.idcard.textblock import RegionCheck, decode_text, split_read_data
from drivers.identity import CardType, Identity

log = logging.getLogger(__name__)

_READ_SLICE = 0.02  # serial read timeout: how often a waiting read looks at its deadline and cancel
_IDLE_AFTER_BAD_FRAME = 0.05  # after a malformed frame, this much silence means no good reply is coming
_PROBE_TIMEOUT = 0.5  # SAM status at connect: a freshly plugged reader may be slow to answer
_FINAL = (Code.DEVICE_NOT_READY, Code.MEDIA_REMOVED)  # a read again is not retried: the reader or the card is gone
_CARD_TYPES = [CardType.RESIDENT, CardType.HMT_PERMIT, CardType.FOREIGN_PERMANENT_2017, CardType.FOREIGN_PERMANENT_2023]


@dataclass
class _Placement:
    """What the poller knows about the card on the reader."""

    present: bool = False
    read_done: bool = False
    attempts: int = 0
    absent: int = 0
    digest: str = ""  # hash of the ID number read, to tell a swapped card from the same one returning
    unsure: bool = False  # the reader was lost while the card lay there: checked again when it answers


def format_sam_id(raw: bytes) -> str:
    """The vendor convention ``05.01-20101220-0012345678-1234567890`` (little-endian fields)."""
    if len(raw) != 16:
        return raw.hex()
    u16 = [int.from_bytes(raw[i : i + 2], "little") for i in (0, 2)]
    u32 = [int.from_bytes(raw[i : i + 4], "little") for i in (4, 8, 12)]
    return f"{u16[0]:02d}.{u16[1]:02d}-{u32[0]:08d}-{u32[1]:010d}-{u32[2]:010d}"


class IdCardReader(Device):
    """A SAM reader on a serial port (115200 8N1 by default).

    Timeouts default to the domain notes' (find/select 100 ms, read 2 s, 3 s with fingerprint).
    Debounce: a card counts as removed after ``absent_polls`` consecutive polls without it, so one
    missed find at the edge of the field neither ends a session nor causes a second read. A
    placement whose read fails is retried on the next polls, up to ``read_attempts`` times.
    After ``silence_limit`` unanswered polls the reader counts as lost and is reopened with back-off.
    """

    device_class = "idcard"

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        *,
        name: str | None = None,
        poll_interval: float | None = 1.0,
        find_timeout: float = 0.1,
        select_timeout: float = 0.1,
        read_timeout: float = 2.0,
        fingerprint_timeout: float = 3.0,
        fingerprint: bool = False,
        absent_polls: int = 2,
        read_attempts: int = 3,
        silence_limit: int = 3,
        photo_decoder: str | PhotoDecoder | None = None,
        known_region: RegionCheck | None = None,
    ) -> None:
        super().__init__(name)
        self.port = port
        self.baud = baud
        self.poll_interval = poll_interval
        self.find_timeout = find_timeout
        self.select_timeout = select_timeout
        self.read_timeout = fingerprint_timeout if fingerprint else read_timeout
        self.fingerprint = fingerprint
        self.absent_polls = absent_polls
        self.read_attempts = read_attempts
        self.silence_limit = silence_limit
        self.known_region = known_region
        self._photo_decoder = load_photo_decoder(photo_decoder)
        self._serial: serial.Serial | None = None
        self._card = _Placement()
        self._silent = 0
        self._reported: tuple[Code, str] | None = None
        self._status = DeviceStatus(
            DeviceState.OFFLINE,
            {"card_present": False, "sam_id": None, "sam_status": None, "port": port, "baud": baud},
            "not opened",
        )

    # -- public commands ----------------------------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        return {
            "card_types": [str(t) for t in _CARD_TYPES],
            "photo_raw": True,
            "photo_decode": self._photo_decoder is not None,
            "fingerprint": self.fingerprint,
            "sam_self_test": True,
        }

    def read_card(self, timeout: float | None = 5.0) -> Command:
        """Find, select and read the card on the reader now; the completion's value is the Identity."""
        return self.submit("read_card", self._read_now, timeout)

    def read_again(self, timeout: float | None = 5.0) -> Command:
        """The card lying on the reader since an earlier poll read it is read and reported (``identity_read``)
        once more, as if just placed: for a screen that starts taking cards while one already lies there (the
        poller reports a card once per placement). Value: whether a card was reported."""
        return self.submit("read_again", self._read_again, timeout)

    def sam_status(self, timeout: float | None = 1.0) -> Command:
        """SAM status (11 FF): value "ok", or a completion with the failure code."""
        return self.submit("sam_status", self._sam_status, timeout)

    def sam_id(self, timeout: float | None = 1.0) -> Command:
        """SAM id (12 FF): value like ``05.01-20101220-0012345678-1234567890``."""
        return self.submit("sam_id", self._sam_id, timeout)

    def self_test(self, timeout: float | None = 2.0) -> Command:
        """SAM status then SAM id: value ``{"sam_status": "ok", "sam_id": ...}``."""
        return self.submit("self_test", self._self_test, timeout)

    # -- contract hooks -----------------------------------------------------------------
    def _connect(self) -> None:
        try:
            self._open_and_probe()
        except DeviceError:
            if self._card.present:  # lost and not back at once: nobody can vouch for the card any more
                self._card_removed("reader_lost")
            raise

    def _open_and_probe(self) -> None:
        try:
            self._serial = serial.Serial(self.port, self.baud, timeout=_READ_SLICE, write_timeout=1.0)
        except (serial.SerialException, OSError, ValueError) as error:
            raise DeviceError(Code.DEVICE_NOT_READY, f"cannot open {self.port}: {error}") from None
        token = CancelToken(None)
        try:
            reply = self._transact(codec.SAM_STATUS, _PROBE_TIMEOUT, token, lambda r: not r.data)
        except CommandTimedOut:
            self._close_port()
            raise DeviceError(Code.HARDWARE_ERROR, f"no reader answers on {self.port}") from None
        except IdCardError as error:
            self._close_port()
            raise DeviceError(Code.HARDWARE_ERROR, f"reader on {self.port}: {error.detail}") from None
        if reply.sw3 == 0x60:
            self._close_port()
            raise DeviceError(Code.HARDWARE_ERROR, "SAM self-test failed (SW3 60)")
        sam_status = "ok" if reply.sw3 == codec.SW3_OK else _status_name(reply)
        try:
            sam_id = self._sam_id(token)
        except IdCardError:
            sam_id = None
        self._silent = 0
        self._set_status(self._status.state, self._status.detail, sam_status=sam_status, sam_id=sam_id)

    def _disconnect(self) -> None:
        """A reader lost for a moment (a USB-serial hiccup, a reply late on a starved CPU) and back at the first
        reconnect keeps its card: the next poll reads it again — the same card is no event, none there a removal
        after the usual debounce — so a resident's session never ends over a hiccup (``_connect`` gives up on
        the card when the reader does not come back)."""
        self._close_port()
        if self._card.present:
            self._card.unsure = True

    def _poll(self) -> None:
        token = CancelToken(None)
        try:
            present = self._find(token)
            if not present and self._card.read_done:
                # some readers stop reporting a card once it has been read: ask whether it is still selectable
                present = self._selectable(token)
        except CommandTimedOut as error:
            self._silent += 1
            if self._silent >= self.silence_limit:
                self._silent = 0
                raise DeviceError(Code.HARDWARE_ERROR, "reader stopped answering") from error
            self._report(error, repeat=False)
            return
        except IdCardError as error:
            if error.code is Code.NOT_AUTHORISED:
                self._set_status(self._status.state, self._status.detail, sam_status=str(error.code))
            self._report(error, repeat=False)
            return
        self._silent = 0
        self._reported = None
        if self._status.fields.get("sam_status") != "ok":  # the reader found (or missed) a card: the SAM works
            self._set_status(self._status.state, self._status.detail, sam_status="ok")
        if not present:
            self._card_missing()
            return
        returning = self._card.present and (self._card.absent > 0 or self._card.unsure)
        self._card_seen()
        if returning and self._card.read_done:
            self._recheck(token)
        elif not self._card.read_done and self._card.attempts < self.read_attempts:
            self._card.attempts += 1
            try:
                identity = self._read_identity(token)
            except DeviceError as error:
                if error.code is Code.DEVICE_NOT_READY:
                    raise
                self._report(error, repeat=True)
                return
            self._read_done(identity)

    def _recheck(self, token: CancelToken) -> None:
        """A read card was missed on a poll and is back: the same card, or a quick swap for another?"""
        try:
            identity = self._read_identity(token)
        except DeviceError as error:
            if error.code is Code.DEVICE_NOT_READY:
                raise
            return  # cannot tell; a later miss and return asks again
        if _digest(identity) != self._card.digest:
            self._card_removed("replaced")
            self._card_seen()
            self._read_done(identity)

    # -- steps ---------------------------------------------------------------------------
    def _read_now(self, token: CancelToken) -> Identity:
        if not self._find(token):
            raise DeviceError(Code.NO_MEDIA, "no card on the reader")
        self._card_seen()
        self._card.attempts += 1
        identity = self._read_identity(token)
        self._read_done(identity)
        return identity

    def _read_again(self, token: CancelToken) -> bool:
        if not (self._card.present and self._card.read_done):
            return False  # no card, or one the poller has yet to read (and report) itself
        for attempt in range(1, self.read_attempts + 1):  # retried like the poller's reads (a slow exchange)
            try:
                identity = self._read_identity(token)  # select + read: also on readers quiet after a read
            except DeviceError as error:
                if token.cancelled or attempt == self.read_attempts or error.code in _FINAL:
                    raise
                continue
            self._read_done(identity)
            return True
        return False

    def _find(self, token: CancelToken) -> bool:
        reply = self._transact(codec.FIND_CARD, self.find_timeout, token, lambda r: len(r.data) in (0, 4))
        if reply.sw3 == codec.SW3_FIND_OK:
            return True
        if reply.sw3 in (0x80, 0x34):
            return False
        reply.raise_for_status(codec.SW3_FIND_OK)
        return False  # unreachable: raise_for_status raised

    def _select(self, token: CancelToken) -> None:
        reply = self._transact(codec.SELECT_CARD, self.select_timeout, token, lambda r: len(r.data) in (0, 8))
        reply.raise_for_status()

    def _selectable(self, token: CancelToken) -> bool:
        """Raises CommandTimedOut: no answer says nothing about the card."""
        try:
            self._select(token)
        except ReaderStatusError:
            return False
        return True

    def _read_identity(self, token: CancelToken) -> Identity:
        try:
            self._select(token)
        except ReaderStatusError as error:
            if error.code is Code.NO_MEDIA:
                raise DeviceError(Code.MEDIA_REMOVED, "card left the reader before select") from None
            raise
        command = codec.READ_TEXT_PHOTO_FINGERPRINT if self.fingerprint else codec.READ_TEXT_PHOTO
        try:
            reply = self._transact(command, self.read_timeout, token, lambda r: not r.data or len(r.data) > 16)
            reply.raise_for_status()
            text, photo, finger = split_read_data(reply.data, self.fingerprint)
        except (CommandTimedOut, ReaderStatusError, FrameError) as error:
            if not token.cancelled and self._card_gone():
                raise DeviceError(Code.MEDIA_REMOVED, f"card removed during the read ({error.detail})") from None
            raise
        identity = decode_text(text, photo, self.known_region)
        if finger is not None:
            identity = replace(identity, extra={**identity.extra, "fingerprint": finger})
        return identity

    def _card_gone(self) -> bool:
        """After a failed read: is the card still there? (counts as one absent poll if not)"""
        try:
            gone = not self._find(CancelToken(None))
        except (CommandTimedOut, IdCardError):
            return False
        if gone:
            self._card.absent += 1
        return gone

    def _self_test(self, token: CancelToken) -> dict[str, str]:
        return {"sam_status": self._sam_status(token), "sam_id": self._sam_id(token)}

    def _sam_status(self, token: CancelToken) -> str:
        self._transact(codec.SAM_STATUS, self.select_timeout, token, lambda r: not r.data).raise_for_status()
        return "ok"

    def _sam_id(self, token: CancelToken) -> str:
        reply = self._transact(codec.SAM_ID, self.select_timeout, token, lambda r: len(r.data) in (0, 16))
        reply.raise_for_status()
        return format_sam_id(reply.data)

    def _transact(
        self, command: tuple[int, int], timeout: float, token: CancelToken, accept: Callable[[Reply], bool]
    ) -> Reply:
        """Send one command and wait for its reply, skipping garbage and stale replies to earlier commands.

        A malformed frame is remembered: if the line then stays idle (no good reply follows), that
        error is raised rather than waiting for the deadline, so a corrupted reply is invalid data.
        """
        port = self._serial
        if port is None:
            raise DeviceError(Code.DEVICE_NOT_READY, "port not open")
        limit = token.remaining(timeout)
        deadline = time.monotonic() + (timeout if limit is None else limit)
        try:
            port.reset_input_buffer()
            port.write(build_command(command))
            scanner = FrameScanner()
            problem: FrameError | None = None
            last_byte = time.monotonic()
            while True:
                try:
                    frame = scanner.next_frame()
                except FrameError as error:
                    problem = error
                    continue
                if frame is not None:
                    reply = parse_reply(frame)
                    if accept(reply):
                        return reply
                    continue
                if token.cancelled:
                    raise CommandCancelled()
                now = time.monotonic()
                if problem is not None and now - last_byte >= _IDLE_AFTER_BAD_FRAME:
                    raise problem
                if now >= deadline:
                    token.check()
                    raise CommandTimedOut(f"no reply to {command[0]:02X} {command[1]:02X} within {timeout:.3g} s")
                data = port.read(scanner.needed())
                if data:
                    last_byte = time.monotonic()
                    scanner.feed(data)
        except (serial.SerialException, OSError) as error:
            raise DeviceError(Code.DEVICE_NOT_READY, f"reader I/O failed: {error}") from None

    # -- placement bookkeeping -------------------------------------------------------------
    def _card_seen(self) -> None:
        self._card.absent = 0
        self._card.unsure = False
        if self._card.present:
            return
        self._card = _Placement(present=True)
        self.counters.add("cards_placed")
        self._set_status(self._status.state, self._status.detail, card_present=True)
        self._emit("card_placed")

    def _card_missing(self) -> None:
        if not self._card.present:
            return
        self._card.absent += 1
        if self._card.absent >= self.absent_polls:
            self._card_removed("removed")

    def _card_removed(self, reason: str) -> None:
        was_read = self._card.read_done
        self._card = _Placement()
        self._set_status(self._status.state, self._status.detail, card_present=False)
        self._emit("card_removed", reason=reason, was_read=was_read)

    def _read_done(self, identity: Identity) -> None:
        self._card.read_done = True
        self._card.digest = _digest(identity)
        self.counters.add("cards_read")
        log.info("card read: %r (%d warnings)", identity, len(identity.warnings))
        self._emit("identity_read", identity=identity, photo_image=self._decode_photo(identity))

    def _decode_photo(self, identity: Identity) -> PhotoImage | None:
        if self._photo_decoder is None or not identity.photo:
            return None
        try:
            return self._photo_decoder(identity.photo)
        except Exception as error:  # a vendor plug-in's failure costs the photo, never the read
            log.warning("photo decoder failed: %s", type(error).__name__)
            return None

    def _report(self, error: DeviceError, repeat: bool) -> None:
        """Emit an error event; a poll-level error repeating every poll is reported once."""
        key = (error.code, error.detail)
        if not repeat and key == self._reported:
            return
        self._reported = None if repeat else key
        self.counters.add(f"failures.{error.code}")
        log.warning("%s: %s", error.code, error.detail)
        self._emit("error", code=error.code, detail=error.detail)

    def _close_port(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                log.debug("closing %s failed", self.port, exc_info=True)


def _digest(identity: Identity) -> str:
    return hashlib.sha256(identity.id_number.encode()).hexdigest()


def _status_name(reply: Reply) -> str:
    code, _meaning = codec.SW3_CODES.get(reply.sw3, (Code.INVALID_DATA, ""))
    return str(code)
