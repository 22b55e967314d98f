"""Thin layer over ``smartcard.scard``: result codes → device-contract codes, and a card channel
whose transmits run on their own thread so a mute card cannot freeze the driver's worker.

pcsc-lite serialises every call on one context, so a transmit that never returns would also block
the monitor. Each card session therefore gets its own context and its own daemon thread; the
driver waits on it with a timeout and abandons it when the card is mute. The abandoned thread ends
(and releases its context) when pcscd finally answers, e.g. when the card is pulled.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from smartcard import scard

from drivers.contract import CancelToken, Code, CommandTimedOut, DeviceError

T = TypeVar("T")

# The service or the reader is gone: the monitor must be re-established.
SERVICE_LOST = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_F_COMM_ERROR,
    scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_NO_READERS_AVAILABLE,
    scard.SCARD_E_INVALID_VALUE,  # pyscard returns this for a context from a dead pcscd
}
CARD_GONE = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD}


def rv_text(rv: int) -> str:
    return f"{scard.SCardGetErrorMessage(rv)} (0x{rv & 0xFFFFFFFF:08X})"


def check(rv: int, what: str) -> None:
    """Raise the DeviceError matching a non-success PC/SC result."""
    if rv == scard.SCARD_S_SUCCESS:
        return
    if rv in CARD_GONE:
        raise DeviceError(Code.MEDIA_REMOVED, f"{what}: {rv_text(rv)}")
    if rv in SERVICE_LOST:
        raise DeviceError(Code.DEVICE_NOT_READY, f"{what}: {rv_text(rv)}")
    raise DeviceError(Code.INVALID_DATA, f"{what}: {rv_text(rv)}")


class CardChannel:
    """A connection to the card in ``reader`` with a bounded wait on every APDU."""

    def __init__(self, reader: str, apdu_timeout: float) -> None:
        self.reader = reader
        self.apdu_timeout = apdu_timeout
        self.stuck = False  # a call outlived its timeout; the thread is still inside pcscd
        self._calls: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._context: int | None = None
        self._card: int | None = None
        self._protocol = 0
        self._thread = threading.Thread(target=self._run, name=f"sscard-io-{reader}", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def connect(self, token: CancelToken | None) -> None:
        self._call(self._connect, token, "connect")

    def transmit(self, apdu: bytes, token: CancelToken | None = None) -> bytes:
        return self._call(lambda: self._transmit(apdu), token, f"APDU {apdu[:2].hex().upper()}")

    def close(self) -> None:
        """Queue the disconnect; it runs after a stuck call returns, then the thread ends."""
        self._calls.put(None)

    # -- on the channel thread ---------------------------------------------------------
    def _connect(self) -> None:
        rv, self._context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        check(rv, "establish card context")
        rv, self._card, self._protocol = scard.SCardConnect(
            self._context, self.reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        check(rv, "connect to card")

    def _transmit(self, apdu: bytes) -> bytes:
        rv, response = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        check(rv, "transmit")
        return bytes(response)

    def _run(self) -> None:
        while (item := self._calls.get()) is not None:
            call, future = item
            try:
                future.set_result(call())
            except BaseException as error:  # handed to the waiting caller
                future.set_exception(error)
        if self._card is not None:
            scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)
        if self._context is not None:
            scard.SCardReleaseContext(self._context)

    # -- on the caller's thread --------------------------------------------------------
    def _call(self, call: Callable[[], T], token: CancelToken | None, what: str) -> T:
        if self.stuck:
            raise DeviceError(Code.TIMEOUT, "card still not answering")
        future: Future[T] = Future()
        self._calls.put((call, future))
        wait = self.apdu_timeout if token is None else token.remaining(self.apdu_timeout)
        try:
            return future.result(wait)
        except TimeoutError:
            self.stuck = True
            if token is not None and wait is not None and wait < self.apdu_timeout:
                raise CommandTimedOut(f"{what}: deadline reached") from None
            raise DeviceError(Code.TIMEOUT, f"{what}: card did not answer within {self.apdu_timeout:g}s") from None
