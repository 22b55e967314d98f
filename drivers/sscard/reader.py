"""The social-security card reader: a PC/SC device on the contract's worker thread.

The worker's ``_poll`` is the supervised monitor: every ``poll_interval`` it asks pcscd for the
reader's state on its own context (``SCardGetStatusChange`` with timeout 0). When pcscd restarts or
the reader disappears that call fails, the contract drops the context and reconnects with back-off
(pyscard's own monitor threads would just stop). A card insertion is read at once; the outcome is
an ``identity_read`` or ``error`` event and is kept until the card leaves, for ``read()`` callers.

Events: ``card_inserted`` {reader, atr}, ``identity_read`` {identity}, ``error`` {code, detail},
``card_removed`` {reader}, plus the contract's ``status`` (fields ``reader``, ``card_present``).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from smartcard import scard

from drivers.contract import (
    CancelToken,
    Code,
    Command,
    CommandCancelled,
    CommandTimedOut,
    Completion,
    Device,
    DeviceError,
)
from drivers.identity import Identity
from drivers.sscard import apdu, pcsc, records

log = logging.getLogger(__name__)

_GONE = scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE


class SocialSecurityCardReader(Device):
    device_class = "sscard"
    poll_interval = 0.05
    reconnect_initial = 0.2
    reconnect_max = 5.0
    settle_time = 1.0  # how long a failed exchange waits to see whether the card was pulled

    def __init__(self, reader_pattern: str | None = None, apdu_timeout: float = 3.0, name: str | None = None) -> None:
        super().__init__(name)
        self.reader_pattern = reader_pattern
        self.apdu_timeout = apdu_timeout
        self._context: int | None = None
        self._reader: str | None = None
        self._present = False
        self._events = -1  # pcsc-lite's per-reader event counter (high 16 bits of the state)
        self._outcome: Identity | DeviceError | None = None  # of the card now in the reader
        self._stuck: list[pcsc.CardChannel] = []  # channels abandoned on a mute card

    # -- public ----------------------------------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        return {"identity_sources": ["sscard"], "photo": False, "reader_pattern": self.reader_pattern}

    def read(self, timeout: float | None = 30.0) -> Command:
        """Wait for a card (or take the one present) and complete with its Identity."""
        return self.submit("read_identity", self._read_command, timeout)

    def read_again(self, timeout: float | None = 5.0) -> Command:
        """The card read earlier and still in the slot is reported (``identity_read``) once more, as if just
        inserted: for a screen that starts taking cards while one is already in. Value: whether it was."""
        return self.submit("read_again", self._read_again, timeout)

    def read_sync(self, timeout: float = 30.0) -> Completion:
        return self.read(timeout).result(timeout + 5.0)

    # -- contract hooks --------------------------------------------------------------
    def _connect(self) -> None:
        rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        pcsc.check(rv, "establish context")
        try:
            rv, readers = scard.SCardListReaders(context, [])
            if rv == scard.SCARD_E_NO_READERS_AVAILABLE:
                readers = []
            else:
                pcsc.check(rv, "list readers")
            self._reader = self._pick(readers)
        except DeviceError:
            scard.SCardReleaseContext(context)
            raise
        self._context = context
        self._events = -1
        self._set_status(self._status.state, self._status.detail, reader=self._reader)
        log.info("sscard: watching reader %r", self._reader)

    def _disconnect(self) -> None:
        if self._present:  # whether the card survived a pcscd restart is unknown: start over
            self._card_left()
        if self._context is not None:
            scard.SCardReleaseContext(self._context)
        self._context = None

    def _poll(self) -> None:
        self._watch(None)

    # -- monitor ---------------------------------------------------------------------
    def _pick(self, readers: list[str]) -> str:
        for reader in readers:
            if self.reader_pattern is None or re.search(self.reader_pattern, reader, re.IGNORECASE):
                return reader
        raise DeviceError(Code.DEVICE_NOT_READY, f"no reader matching {self.reader_pattern!r} among {readers}")

    def _reader_state(self) -> tuple[int, bytes]:
        assert self._context is not None and self._reader is not None
        rv, states = scard.SCardGetStatusChange(self._context, 0, [(self._reader, scard.SCARD_STATE_UNAWARE)])
        if rv != scard.SCARD_S_SUCCESS:
            # Whatever the code, the monitor has lost sight of the reader: start over with a new context rather
            # than blame the card. A pcscd going down answers "service not available", but caught in the
            # middle of its shutdown it also answers "access denied" (0x8010006A), seen in chaos runs.
            raise DeviceError(Code.DEVICE_NOT_READY, f"reader status: {pcsc.rv_text(rv)}")
        _, event, atr = states[0]
        if event & _GONE:
            raise DeviceError(Code.DEVICE_NOT_READY, f"reader {self._reader!r} is gone")
        return event, bytes(atr)

    def _watch(self, token: CancelToken | None) -> None:
        """One look at the reader: emit insert/remove, read a newly inserted card."""
        self._stuck = [c for c in self._stuck if c.alive()]
        event, atr = self._reader_state()
        present = bool(event & scard.SCARD_STATE_PRESENT)
        counter = event >> 16
        if self._present and (not present or counter != self._events):
            self._card_left()
        self._events = counter
        if present and not self._present:
            self._present = True
            self.counters.add("cards_inserted")
            self._set_status(self._status.state, reader=self._reader, card_present=True)
            self._emit("card_inserted", reader=self._reader, atr=atr.hex().upper())
            if event & scard.SCARD_STATE_MUTE:
                self._conclude(DeviceError(Code.INVALID_DATA, "card does not answer reset (mute)"))
        if self._present and self._outcome is None:
            self._read_present_card(token)

    def _card_left(self) -> None:
        self._present = False
        self._outcome = None  # personal data leaves with the card
        self.counters.add("cards_removed")
        self._set_status(self._status.state, reader=self._reader, card_present=False)
        self._emit("card_removed", reader=self._reader)

    def _read_present_card(self, token: CancelToken | None) -> None:
        if self._stuck:  # pcscd is still inside an APDU to this card: nothing else can reach it yet
            return
        assert self._reader is not None
        channel = pcsc.CardChannel(self._reader, self.apdu_timeout)
        try:
            channel.connect(token)
            raw = apdu.read_raw(lambda a: channel.transmit(a, token), token.check if token else lambda: None)
            outcome: Identity | DeviceError = records.to_identity(raw)
        except DeviceError as error:
            if isinstance(error, CommandCancelled | CommandTimedOut) or error.code is Code.DEVICE_NOT_READY:
                raise  # the caller's deadline or a lost service, not the card's fault: it stays unread
            outcome = self._settle(error)
        finally:
            channel.close()
            if channel.stuck:
                self._stuck.append(channel)
        self._conclude(outcome)

    def _settle(self, error: DeviceError) -> DeviceError:
        """A failed exchange: if the card has gone meanwhile, that is the reason."""
        if error.code in (Code.MEDIA_REMOVED, Code.TIMEOUT):
            return error
        # pcscd notices a pulled card on its next presence poll (every 400 ms): look for a while.
        deadline = time.monotonic() + self.settle_time
        while True:
            event, _ = self._reader_state()
            if not event & scard.SCARD_STATE_PRESENT or event >> 16 != self._events:
                return DeviceError(Code.MEDIA_REMOVED, f"card pulled during read ({error.detail})")
            if time.monotonic() >= deadline:
                return error
            time.sleep(0.05)

    def _conclude(self, outcome: Identity | DeviceError) -> None:
        self._outcome = outcome
        if isinstance(outcome, Identity):
            self.counters.add("cards_read")
            self._emit("identity_read", identity=outcome)
        else:
            self.counters.add(f"read_failures.{outcome.code}")
            log.warning("sscard read failed: %s", outcome.detail)
            self._emit("error", code=str(outcome.code), detail=outcome.detail)

    # -- commands --------------------------------------------------------------------
    def _read_again(self, token: CancelToken) -> bool:
        earlier = self._outcome
        self._watch(token)  # a card taken out or swapped meanwhile is reported as such, not again
        if not (self._present and isinstance(earlier, Identity) and self._outcome is earlier):
            return False
        self._emit("identity_read", identity=earlier)
        return True

    def _read_command(self, token: CancelToken) -> Identity:
        while True:
            self._watch(token)
            outcome = self._outcome
            if isinstance(outcome, Identity):
                return outcome
            if isinstance(outcome, DeviceError):
                raise DeviceError(outcome.code, outcome.detail)
            token.wait(self.poll_interval)
