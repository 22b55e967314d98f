"""A private PC/SC stack for tests, benchmarks, the demo and ``kiosk sim sscard``.

``PcscEnvironment`` starts its own ``pcscd`` with only the vpcd virtual reader, on free TCP ports,
and a :class:`VirtualCard` in its slot::

    with PcscEnvironment() as env:
        env.insert("shanghai-v3")            # deck card id (+ faults=("chaining",) …)
        reader = SocialSecurityCardReader(env.reader_pattern)
        env.remove(); env.restart_pcscd()

Isolation: pcscd 1.9 always serves ``/run/pcscd/pcscd.comm`` (only the client library honours
``PCSCLITE_CSOCK_NAME``), so the daemon runs in a private mount namespace (``unshare``) where a
private directory is bind-mounted over ``/run``; clients reach it through ``PCSCLITE_CSOCK_NAME``.
libpcsclite reads that variable once per process, on first use, so every environment in one
process shares one socket path; another process gets it from ``env.env_vars``.

The card side of the slot is a :class:`CardSlot` (a :class:`VirtualCard` on vpcd's TCP port). A process
that outlives the kiosk can run the environment while the kiosk process drives the cards itself:
``env.slot_env`` in its environment, then ``outside_slot()`` there (bench/chaos.py does this so a
SIGKILLed kiosk leaves no pcscd behind; its card simply leaves the slot with its connection).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import TracebackType

from drivers.sim.sscard.card import CardApplet, CardData, load_deck
from drivers.sim.sscard.vpcd import VirtualCard

SOCKET_VAR = "PCSCLITE_CSOCK_NAME"
PORT_VAR = "TONGBAN_VPCD_PORT"  # for outside_slot(): the vpcd port of an environment run by another process
READER_NAME = "Tongban vpcd"
VPCD_DRIVERS = (
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/lib/x86_64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/lib/aarch64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so",
)
_process_run_dir: Path | None = None  # see module docstring: one socket path per process


def _pcscd() -> str | None:
    return shutil.which("pcscd") or next((p for p in ("/usr/sbin/pcscd",) if os.path.exists(p)), None)


def _vpcd_driver() -> str | None:
    return next((p for p in VPCD_DRIVERS if os.path.exists(p)), None)


def _unshare_args() -> list[str]:
    args = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        args.insert(1, "--map-root-user")  # an unprivileged user namespace may mount
    return args


@cache
def pcsc_available() -> tuple[bool, str]:
    """(True, "") when a private pcscd with the vpcd reader can run here, else (False, why)."""
    try:
        import smartcard.scard  # noqa: F401
    except ImportError as error:
        return False, f"pyscard not importable: {error}"
    if _pcscd() is None:
        return False, "pcscd not installed (Debian package pcscd)"
    if _vpcd_driver() is None:
        return False, "vpcd reader driver not installed (Debian package vsmartcard-vpcd)"
    if shutil.which("unshare") is None:
        return False, "unshare (util-linux) not found"
    probe = subprocess.run(
        [*_unshare_args(), "sh", "-c", "mount --bind /tmp /run"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return False, f"cannot run pcscd in a private mount namespace: {probe.stderr.strip()}"
    return True, ""


def _free_port_pair() -> int:
    """A port p with p and p+1 free (vpcd opens one listening port per slot, two slots)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair for vpcd")


class CardSlot:
    """The card side of the vpcd reader's slot 0: deck cards in and out over vpcd's TCP port."""

    def __init__(
        self, port: int, deck: dict[str, dict] | str | Path | None = None, faults: tuple[str, ...] = ()
    ) -> None:
        self.deck = deck if isinstance(deck, dict) else load_deck(deck)
        self.faults = tuple(faults)  # added to every inserted card
        self.port = port
        self.card = VirtualCard(port)

    @property
    def reader_name(self) -> str:
        return f"{READER_NAME} 00 00"

    @property
    def reader_pattern(self) -> str:
        """Matches slot 0 of the virtual reader, the one the virtual card sits in."""
        return f"^{READER_NAME} 00 00$"

    def insert(self, card_id: str, faults: tuple[str, ...] | list[str] = ()) -> CardApplet:
        """Put deck card ``card_id`` in the slot (replacing any card); returns its applet."""
        if card_id not in self.deck:
            raise KeyError(f"no card {card_id!r} in the deck; have {sorted(self.deck)}")
        applet = CardApplet(CardData.from_entry(self.deck[card_id], (*self.faults, *faults)))
        self.card.insert(applet)
        return applet

    def remove(self, wait: float = 3.0) -> None:
        """Take the card out and wait (up to ``wait`` s) until pcscd has seen the slot empty.

        vpcd only notices a closed connection on its next presence poll (every 400 ms); a card
        inserted before that would look to pcscd like the old card still sitting there.
        """
        self.card.remove()
        if wait > 0:
            self._wait_slot_empty(wait)

    def stop(self) -> None:
        self.card.stop()

    def _wait_slot_empty(self, timeout: float) -> None:
        from smartcard import scard

        rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if rv != scard.SCARD_S_SUCCESS:
            return  # pcscd is down: it will start with an empty slot
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                rv, states = scard.SCardGetStatusChange(context, 0, [(self.reader_name, scard.SCARD_STATE_UNAWARE)])
                if rv != scard.SCARD_S_SUCCESS or not states[0][1] & scard.SCARD_STATE_PRESENT:
                    return
                time.sleep(0.02)
        finally:
            scard.SCardReleaseContext(context)


def outside_slot(environ: Mapping[str, str] | None = None, deck: str | Path | None = None) -> CardSlot | None:
    """The slot of an environment another process runs (its ``slot_env`` in ``environ``), or None.

    pcsc-lite in this process must reach that pcscd too: ``PCSCLITE_CSOCK_NAME`` has to be in the
    process's environment before its first PC/SC call, which is why this takes it from there.
    """
    environ = os.environ if environ is None else environ
    if PORT_VAR not in environ or SOCKET_VAR not in environ:
        return None
    return CardSlot(int(environ[PORT_VAR]), deck)


class PcscEnvironment:
    def __init__(self, deck: str | Path | None = None, faults: tuple[str, ...] = ()) -> None:
        self.deck = load_deck(deck)
        self.faults = tuple(faults)  # added to every inserted card
        self.port = 0
        self.slot: CardSlot | None = None
        self._dir: Path | None = None
        self._pcscd: subprocess.Popen[bytes] | None = None

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self) -> PcscEnvironment:
        self.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.stop()

    def start(self) -> None:
        global _process_run_dir
        ok, why = pcsc_available()
        if not ok:
            raise RuntimeError(why)
        if _process_run_dir is None:
            inherited = os.environ.get(SOCKET_VAR)
            if inherited:
                _process_run_dir = Path(inherited).parent.parent
            else:
                _process_run_dir = Path(tempfile.mkdtemp(prefix="tongban-pcsc-"))
                atexit.register(shutil.rmtree, _process_run_dir, True)
            os.environ[SOCKET_VAR] = str(_process_run_dir / "pcscd" / "pcscd.comm")
        self._dir = Path(tempfile.mkdtemp(prefix="tongban-vpcd-"))
        self.port = _free_port_pair()
        conf = self._dir / "reader.conf.d"
        conf.mkdir()
        (conf / "vpcd").write_text(
            f'FRIENDLYNAME "{READER_NAME}"\nDEVICENAME /dev/null:{self.port}\n'
            f"LIBPATH {_vpcd_driver()}\nCHANNELID {self.port}\n"
        )
        self._start_pcscd()
        self.slot = CardSlot(self.port, self.deck, self.faults)
        self.slot.card.on_restart = self.restart_pcscd

    def stop(self) -> None:
        if self.slot is not None:
            self.slot.stop()
            self.slot = None
        self._stop_pcscd()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- control ---------------------------------------------------------------------
    @property
    def socket_path(self) -> str:
        return os.environ[SOCKET_VAR]

    @property
    def env_vars(self) -> dict[str, str]:
        """What a driver in another process needs to reach this pcscd."""
        return {SOCKET_VAR: self.socket_path}

    @property
    def slot_env(self) -> dict[str, str]:
        """What another process needs to drive the cards of this environment (see ``outside_slot``)."""
        return {**self.env_vars, PORT_VAR: str(self.port)}

    @property
    def config_dir(self) -> Path | None:
        """pcscd's ``--config`` directory: names this environment's daemon among processes."""
        return self._dir / "reader.conf.d" if self._dir is not None else None

    @property
    def reader_pattern(self) -> str:
        """Matches slot 0 of the virtual reader, the one the virtual card sits in."""
        return f"^{READER_NAME} 00 00$"

    @property
    def reader_name(self) -> str:
        return f"{READER_NAME} 00 00"

    @property
    def card(self) -> VirtualCard | None:
        return self.slot.card if self.slot is not None else None

    def insert(self, card_id: str, faults: tuple[str, ...] | list[str] = ()) -> CardApplet:
        """Put deck card ``card_id`` in the slot (replacing any card); returns its applet."""
        assert self.slot is not None, "environment not started"
        return self.slot.insert(card_id, faults)

    def remove(self, wait: float = 3.0) -> None:
        """Take the card out and wait (up to ``wait`` s) until pcscd has seen the slot empty."""
        assert self.slot is not None, "environment not started"
        self.slot.remove(wait)

    def restart_pcscd(self) -> None:
        """Kill pcscd and start it again, as a crash or a package upgrade would."""
        self._stop_pcscd()
        self._start_pcscd()

    def pcscd_pid(self) -> int | None:
        return self._pcscd.pid if self._pcscd is not None else None

    # -- pcscd -----------------------------------------------------------------------
    def _start_pcscd(self) -> None:
        assert self._dir is not None and _process_run_dir is not None
        shutil.rmtree(_process_run_dir / "pcscd", ignore_errors=True)  # stale pid/socket of a dead daemon
        script = 'mount --bind "$0" /run && exec "$1" --foreground --config "$2"'
        args = [str(_process_run_dir), _pcscd() or "pcscd", str(self._dir / "reader.conf.d")]
        log = open(self._dir / "pcscd.log", "ab")  # noqa: SIM115 - handed to the child
        try:
            self._pcscd = subprocess.Popen(
                [*_unshare_args(), "sh", "-c", script, *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal is for us, not for pcscd
            )
        finally:
            log.close()
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:  # a loaded 2-core machine can take >10 s
        from smartcard import scard

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._pcscd is not None
            if self._pcscd.poll() is not None:
                raise RuntimeError(f"pcscd exited with {self._pcscd.returncode}; see {self._dir}/pcscd.log")
            rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if rv == scard.SCARD_S_SUCCESS:
                rv, readers = scard.SCardListReaders(context, [])
                scard.SCardReleaseContext(context)
                if rv == scard.SCARD_S_SUCCESS and self.reader_name in readers:
                    return
            time.sleep(0.05)
        self._stop_pcscd()
        raise RuntimeError(f"pcscd did not come up with the vpcd reader within {timeout:g}s")

    def _stop_pcscd(self) -> None:
        process, self._pcscd = self._pcscd, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
