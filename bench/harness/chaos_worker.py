"""The kiosk side of a chaos run, as its own process so it can be SIGKILLed at any moment and restarted.

Usage: chaos_worker.py DATA_DIR PLATFORM_URL TOKEN_FILE FIRST_SEQ LAST_SEQ SEED [--no-faults]
Starts the kiosk on its device simulators against the (outside, surviving) platform simulator, delivers what an
earlier killed run left in the outbox, then runs journeys FIRST_SEQ..LAST_SEQ-1, hitting the devices with a
seeded fault schedule. Every delivery is an audit record written on the outbox thread, so kills also land in
audit writes. One line per event on stdout (parsed by bench/chaos.py): ``ready``, ``begin SEQ``,
``outcome SEQ KIND PRINTED REF MESSAGE``, ``leak TEXT``, ``drained``.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.harness.journey import KioskRig, personal_data, residents
from kiosk.privacy_scan import PrivacyScanner

DEVICE_FAULTS = ["paper_out", "cover_open", "reader_silent", "read_failed", "camera_black", "printer_power"]


def say(*parts: object) -> None:
    print(*parts, flush=True)


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


def main(data_dir: str, url: str, token_file: str, first: str, last: str, seed: str, *flags: str) -> int:
    faults = "--no-faults" not in flags
    rig = KioskRig.start(Path(data_dir), url, Path(token_file))

    def audit_delivery(event) -> None:  # on the outbox thread: kills also land in audit writes
        if event.type in ("delivered", "failed") and event.job is not None:
            rig.audit.record(f"outbox.{event.type}", "kiosk", reference=event.job.reference)

    rig.outbox.add_listener(audit_delivery)
    scanner = PrivacyScanner(personal_data())
    people = residents()
    rng = random.Random(int(seed))
    say("ready")
    for seq in range(int(first), int(last)):
        fault = rng.choice(DEVICE_FAULTS) if faults and rng.random() < 0.35 else None
        if fault:
            apply_fault(rig, fault)
        say("begin", seq, fault or "-")
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
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
