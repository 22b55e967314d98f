"""A virtual card in the slot of Debian's ``vsmartcard-vpcd`` reader driver.

The vpcd protocol (vsmartcard's virtual ICC protocol): the card side connects over TCP to the port
vpcd listens on; every message either way is a 2-byte big-endian length followed by the payload.
From vpcd, a 1-byte payload is a control message: 0 power off, 1 power on, 2 reset (no answer) and
4 "send your ATR" (answered with the ATR; pcscd asks this for every presence poll). Longer payloads
are command APDUs, answered with the response APDU. A card is inserted while connected and removed
when the connection closes.

Transport faults live here: ``pulled`` (the connection drops in the middle of EF05), ``mute`` (APDUs
are never answered while the card stays in), and a hook for ``pcscd-restart``.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from collections.abc import Callable

from drivers.sim.sscard.card import CardApplet

log = logging.getLogger(__name__)

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
# T=0, TB1 and TC1 present, 8 historical bytes "TBSSC001".
ATR = bytes.fromhex("3B680000") + b"TBSSC001"
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only
PULL_AFTER = 5  # APDUs answered before a "pulled" card leaves: the select and part of EF05
RESTART_AFTER = 4  # APDUs answered before the "pcscd-restart" hook fires


class VirtualCard:
    """One card slot: ``insert(applet)`` connects to vpcd, ``remove()`` disconnects."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.on_restart: Callable[[], None] | None = None  # called (on a new thread) for "pcscd-restart"
        self._applet: CardApplet | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stopping = False
        self._apdus = 0
        self._restart_done = False
        self._thread = threading.Thread(target=self._run, name=f"vpcd-card-{port}", daemon=True)
        self._thread.start()

    @property
    def applet(self) -> CardApplet | None:
        return self._applet

    def insert(self, applet: CardApplet) -> None:
        with self._lock:
            self._drop_locked()
            self._applet = applet
            self._apdus = 0
            self._restart_done = False
            self._changed.notify_all()

    def remove(self) -> None:
        with self._lock:
            self._applet = None
            self._drop_locked()
            self._changed.notify_all()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._applet = None
            self._drop_locked()
            self._changed.notify_all()
        self._thread.join(5)

    # -- internals -------------------------------------------------------------------
    def _drop_locked(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._applet is None and not self._stopping:
                    self._changed.wait()
                if self._stopping:
                    return
                applet = self._applet
            assert applet is not None  # waited for above, under the lock
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                with self._lock:  # vpcd not listening (pcscd restarting): try again shortly
                    self._changed.wait(0.05)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one small reply per APDU: no Nagle wait
            with self._lock:
                if self._applet is not applet:  # removed or replaced while connecting
                    sock.close()
                    continue
                self._sock = sock
            try:
                self._serve(sock, applet)
            except OSError:
                pass
            finally:
                with self._lock:
                    if self._sock is sock:
                        self._sock = None
                sock.close()

    def _recv(self, sock: socket.socket, size: int) -> bytes:
        data = bytearray()
        while len(data) < size:
            if _QUICKACK is not None:
                # vpcd writes the length and the payload separately; without an immediate ACK
                # Nagle holds the payload back for our delayed ACK (40 ms per APDU).
                sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("vpcd closed the connection")
            data += chunk
        return bytes(data)

    def _send(self, sock: socket.socket, payload: bytes) -> None:
        sock.sendall(struct.pack(">H", len(payload)) + payload)

    def _serve(self, sock: socket.socket, applet: CardApplet) -> None:
        faults = applet.card.faults
        while True:
            (size,) = struct.unpack(">H", self._recv(sock, 2))
            message = self._recv(sock, size)
            if size == 1:
                if message[0] == CTRL_ATR:
                    self._send(sock, ATR)
                elif message[0] in (CTRL_OFF, CTRL_ON, CTRL_RESET):
                    applet.reset()
                continue
            self._apdus += 1
            if "mute" in faults:
                applet.log.append(message)
                continue  # never answer; pcscd waits until the card is pulled
            if "pulled" in faults and self._apdus > PULL_AFTER:
                with self._lock:
                    if self._applet is applet:
                        self._applet = None  # out of the slot: no reconnect
                return
            if "pcscd-restart" in faults and not self._restart_done and self._apdus > RESTART_AFTER:
                self._restart_done = True
                if self.on_restart is not None:
                    threading.Thread(target=self.on_restart, name="pcscd-restart", daemon=True).start()
                continue  # the daemon goes away with this APDU unanswered
            self._send(sock, applet.process(message))
