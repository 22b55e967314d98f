"""The kiosk side of a chaos run, as its own process so it can be SIGKILLed at any moment and restarted.

Usage: chaos_worker.py DATA_DIR PLATFORM_URL TOKEN_FILE FIRST_SEQ LAST_SEQ SEED [--no-faults] [--sscard SHARE:RESTARTS]
Starts the kiosk on its device simulators against the (outside, surviving) platform simulator, delivers what an
earlier killed run left in the outbox, then runs journeys FIRST_SEQ..LAST_SEQ-1, hitting the devices with a
seeded fault schedule. Every delivery is an audit record written on the outbox thread, so kills also land in
audit writes.

With ``--sscard``, a SHARE of the residents identify with their social-security card instead of the ID card, on
the PC/SC stack bench/chaos.py runs (``PCSCLITE_CSOCK_NAME`` and ``TONGBAN_VPCD_PORT`` in the environment: the
parent owns pcscd, this process only drives the card, see bench/chaos.py), and RESTARTS of those journeys get the
``pcscd_restart`` fault: pcscd is restarted just before the card is read, or in the middle of the read (the card
stops answering after a few APDUs and asks for the restart). This process cannot restart a daemon it does not own:
it asks with a ``pcscd-restart`` line.

One line per event on stdout (parsed by bench/chaos.py): ``ready``, ``begin SEQ FAULT CARD``,
``outcome SEQ KIND PRINTED REF MESSAGE``, ``pcscd-restart``, ``reader-back SEQ SECONDS``, ``reader-lost SEQ``,
``leak TEXT``, ``drained``.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.harness.journey import KioskRig, Outcome, personal_data, residents, sscard_holders
from drivers.contract import DeviceState
from drivers.sim.sscard import outside_slot
from kiosk.memory import limit_malloc_arenas
from kiosk.privacy_scan import PrivacyScanner

DEVICE_FAULTS = ["paper_out", "cover_open", "reader_silent", "read_failed", "camera_black", "printer_power"]
SSCARD_FAULTS = ["paper_out", "cover_open", "camera_black", "printer_power"]  # the ID reader is not used
READER_BACK_WAIT = 30.0  # s: pcscd start on a loaded 2-core machine can take >10 s
_say = threading.Lock()  # the virtual card's restart hook speaks from its own thread


def say(*parts: object) -> None:
    line = " ".join(str(p) for p in parts) + "\n"
    with _say:
        sys.stdout.write(line)
        sys.stdout.flush()


def apply_fault(rig: KioskRig, fault: str) -> None:
    sims = rig.hw.sims
    if fault == "paper_out":
        sims.printer.set_fault("paper_out", 0)
    elif fault == "cover_open":
        sims.printer.set_fault("cover_open")
    elif fault == "printer_power":
        sims.printer.power_cycle(0.3)
    elif fault == "reader_silent":  # the reader stops answering: unplugged as far as the driver can tell
        sims.idcard.set_faults(["silence"])
    elif fault == "read_failed":
        sims.idcard.set_faults(["read_failed:2"])
    elif fault == "camera_black":
        rig.camera.switch_source(str(sims.camera_scene("black"))).result()


def clear_faults(rig: KioskRig, fault: str | None) -> None:
    sims = rig.hw.sims
    sims.printer.clear_faults()
    sims.idcard.set_faults([])
    if fault == "camera_black":
        rig.camera.switch_source(str(sims.camera_scene("face"))).result()


def wait_online(rig: KioskRig, timeout: float) -> float | None:
    """Seconds until the social-security card reader is online again, None if it is not within ``timeout``."""
    start = time.monotonic()
    while rig.sscard.status().state is not DeviceState.ONLINE:
        if time.monotonic() - start > timeout:
            return None
        time.sleep(0.05)
    return time.monotonic() - start


def sscard_journey(rig: KioskRig, rng: random.Random, seq: int, restart: bool, holder) -> Outcome:
    """One social-security card journey; with ``restart`` pcscd is restarted just before or during the read.
    A card not read is put in again once the reader answers (the resident's second try)."""
    resident, card_id = holder
    card_faults: tuple[str, ...] = ()
    if restart:
        if rng.random() < 0.5:
            say("pcscd-restart")  # just before: the parent restarts it while the card goes in and is read
        else:
            card_faults = ("pcscd-restart",)  # after 4 APDUs the card goes quiet and its hook asks for it
    outcome = rig.journey(resident, seq, verify_attempts=4, card="sscard", card_id=card_id, card_faults=card_faults)
    if outcome.kind == "card_unreadable":
        back = wait_online(rig, READER_BACK_WAIT)
        if back is None:
            say("reader-lost", seq)
        else:
            say("reader-back", seq, f"{back:.2f}")
        outcome = rig.journey(resident, seq, verify_attempts=4, card="sscard", card_id=card_id)
    return outcome


def main(data_dir: str, url: str, token_file: str, first: str, last: str, seed: str, *flags: str) -> int:
    limit_malloc_arenas()  # as the kiosk command does first thing
    faults = "--no-faults" not in flags
    share, restarts = 0.0, 0.0
    if "--sscard" in flags:
        share, restarts = (float(x) for x in flags[flags.index("--sscard") + 1].split(":"))
    # pcscd belongs to bench/chaos.py (it survives our SIGKILL); we only drive its card slot
    slot = outside_slot() if share else None
    if share and slot is None:
        raise SystemExit("--sscard needs the PC/SC stack of bench/chaos.py in the environment")
    rig = KioskRig.start(Path(data_dir), url, Path(token_file), sscard_slot=slot)
    if slot is not None:
        slot.card.on_restart = lambda: say("pcscd-restart")

    def audit_delivery(event) -> None:  # on the outbox thread: kills also land in audit writes
        if event.type in ("delivered", "failed") and event.job is not None:
            rig.audit.record(f"outbox.{event.type}", "kiosk", reference=event.job.reference)

    rig.outbox.add_listener(audit_delivery)
    scanner = PrivacyScanner(personal_data())
    people = residents()
    holders = sscard_holders()
    rng = random.Random(int(seed))
    say("ready")
    for seq in range(int(first), int(last)):
        if slot is not None and rng.random() < share:
            restart = faults and rng.random() < restarts
            fault = rng.choice(SSCARD_FAULTS) if faults and not restart and rng.random() < 0.35 else None
            if fault:
                apply_fault(rig, fault)
            say("begin", seq, "pcscd_restart" if restart else fault or "-", "sscard")
            outcome = sscard_journey(rig, rng, seq, restart, holders[seq % len(holders)])
            clear_faults(rig, fault)
        else:
            fault = rng.choice(DEVICE_FAULTS) if faults and rng.random() < 0.35 else None
            if fault:
                apply_fault(rig, fault)
            say("begin", seq, fault or "-", "idcard")
            outcome = rig.journey(people[seq % len(people)], seq, verify_attempts=4)
            clear_faults(rig, fault)
            if outcome.kind == "card_unreadable" and fault in ("reader_silent", "read_failed"):
                time.sleep(0.1)  # the resident puts the card back once the reader answers again
                outcome = rig.journey(people[seq % len(people)], seq, verify_attempts=4)
        message = outcome.message.replace(" ", "_")
        say("outcome", seq, outcome.kind, int(outcome.receipt_printed), outcome.reference or "-", message)
        for finding in scanner.scan_objects():
            say("leak", str(finding).replace("\n", " "))
    rig.outbox.wait_idle(60 if faults else 120)
    say("drained" if rig.outbox.depth() == 0 else f"pending {rig.outbox.depth()}")
    rig.stop()
    if slot is not None:
        slot.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
