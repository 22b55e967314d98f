"""Fleet updates inside the running kiosk core, with a real resident journey on the simulated devices: a bundle
waits while a resident is served and applies when the session ends; the hardware restarted for new device
settings serves the next resident (submission through the new outbox, receipt on the new printer); every step
audited."""

from __future__ import annotations

import threading
import time

from kiosk.launch import start_core
from tests.fleet.resident import Resident


def until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def _site(fleet, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(
        f'[fleet]\nrepo_url = "{fleet.server.url}"\ngroup = "pilot"\ntrusted_root = "{fleet.trusted_root}"\n'
        "poll_interval_s = 3600\n",
        "utf-8",
    )
    return site


def test_bundle_mid_journey_waits_then_the_next_resident_uses_the_new_printer_and_outbox(fleet, tmp_path):
    core = start_core(_site(fleet, tmp_path), tmp_path / "data")
    reloaded = threading.Event()
    core.config_changed.connect(lambda _config: reloaded.set())
    hardware_events = []
    core.hardware_changed.connect(hardware_events.append)
    core.start_hardware()
    try:
        core.fleet.stop()  # rounds driven from this thread
        first = core.hardware
        first_printer, first_outbox = first.devices["printer"], first.outbox

        resident = Resident(core)
        resident.begin()
        assert core.session_active  # derived from the resident's session, nobody set it
        resident.identify()
        fleet.publish(1, settings="[idle]\ntimeout_s = 120\n[devices.printer]\npaper_width_mm = 58\n")
        assert core.fleet.poll_once().outcome == "deferred"
        submitted = resident.apply()
        assert core.settings.idle.timeout_s == 90  # nothing changes under a resident's feet
        assert core.hardware is first
        assert resident.print()["ok"]
        assert until(lambda: len(first.sims.printer.jobs) == 1)
        resident.leave()  # done: the pending bundle applies, off the resident's thread

        assert reloaded.wait(60)
        assert core.settings.idle.timeout_s == 120 and core.settings.devices.printer.paper_width_mm == 58
        second = core.hardware
        assert second is not first and second.devices["printer"] is not first_printer
        assert second.outbox is not first_outbox and core.office.outbox is second.outbox
        assert hardware_events[-2:] == [None, second]  # consumers let go, then re-attached

        nxt = Resident(core)
        nxt.begin()
        nxt.identify()
        result = nxt.apply()
        assert result["number"] != submitted["number"]
        assert second.outbox.lookup(core.journey.session.submission.reference) is not None  # the new outbox has it
        assert nxt.print()["ok"]
        assert until(lambda: len(second.sims.printer.jobs) == 1)  # the new printer printed the next receipt
        nxt.leave()
        kinds = [record.kind for record in core.audit.tail(80)]
        assert "fleet.deferred" in kinds and "fleet.applied" in kinds
    finally:
        core.close()
