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


def test_a_bundle_the_hardware_does_not_start_on_is_reverted_and_a_fixing_bundle_still_applies(fleet, tmp_path):
    from kiosk.heartbeat import Heartbeat

    core = start_core(_site(fleet, tmp_path), tmp_path / "data")
    core.start_hardware()
    try:
        core.fleet.stop()  # rounds driven from this thread
        first = core.hardware
        # Valid configuration, but no printer driver opens "bogus://": the restart fails under the bundle.
        fleet.publish(1, settings='[devices.printer]\nuri = "bogus://printer"\n')
        result = core.fleet.poll_once()
        assert result.outcome == "reverted" and "activation" in result.reason, result
        assert core.settings.devices.printer.uri == "sim"  # the last good configuration runs again
        assert core.hardware is not None and core.hardware is not first  # started again on it
        records = [(r.kind, r.fields) for r in core.audit.tail(40)]
        assert ("fleet.health_failed", "activation") in [(k, f.get("check")) for k, f in records]
        assert any(k == "fleet.reverted" and f.get("version") == 1 for k, f in records)
        beat = Heartbeat.for_core(core, core.hardware).payload()
        assert beat["fleet"]["last_revert"]["version"] == 1  # the operator sees it in the heartbeat

        fleet.publish(2, settings="[devices.printer]\npaper_width_mm = 58\n")  # the operator's fix
        assert core.fleet.poll_once().outcome == "applied"
        assert core.settings.devices.printer.paper_width_mm == 58
        resident = Resident(core)
        resident.begin()
        resident.identify()
        resident.apply()
        assert resident.print()["ok"]
        assert until(lambda: len(core.hardware.sims.printer.jobs) == 1)
        resident.leave()
    finally:
        core.close()


def _gateway(tmp_path):
    """A second platform gateway on loopback (the simulator) with its own credentials file."""
    from drivers.sim.platform import PlatformSimulator

    token = tmp_path / "gateway.token"
    token.write_text("gateway-token-0123456789", "utf-8")
    gateway = PlatformSimulator(tmp_path / "gateway.sqlite3", token="gateway-token-0123456789")
    gateway.start()
    return gateway, token


def test_a_bundle_moving_the_platform_to_a_gateway_that_answers_applies(fleet, tmp_path):
    gateway, token = _gateway(tmp_path)
    core = start_core(_site(fleet, tmp_path), tmp_path / "data")
    core.start_hardware()
    try:
        core.fleet.stop()
        fleet.publish(1, settings=f'[platform]\nurl = "{gateway.url}"\ncredentials_file = "{token}"\n')
        result = core.fleet.poll_once()
        assert result.outcome == "applied", result
        assert core.settings.platform.url == gateway.url
        kinds = [(r.kind, r.fields.get("check")) for r in core.audit.tail(40)]
        assert ("fleet.health_ok", "platform") in kinds
        resident = Resident(core)  # the next resident's application goes to the new gateway
        resident.begin()
        resident.identify()
        resident.apply()
        assert until(lambda: len(gateway.applications()) == 1)
        resident.leave()
    finally:
        core.close()
        gateway.stop()


def test_config_pull_once_checks_the_platform_and_audits_like_the_running_kiosk(fleet, tmp_path):
    from kiosk.audit import FILE_NAME, AuditTrail
    from kiosk.cli import main

    gateway, token = _gateway(tmp_path)
    try:
        site, data = _site(fleet, tmp_path), tmp_path / "data"
        fleet.publish(1, settings=f'[platform]\nurl = "{gateway.url}"\ncredentials_file = "{token}"\n')
        assert main(["config", "pull", "--once", "--config", str(site), "--data-dir", str(data)]) == 0
        trail = AuditTrail(data / FILE_NAME)
        try:
            records = [(r.kind, r.actor, r.fields.get("check")) for r in trail.tail(20)]
        finally:
            trail.close()
        assert ("fleet.health_ok", "fleet", "platform") in records
        assert ("fleet.applied", "fleet", None) in records
    finally:
        gateway.stop()


def test_an_edited_site_file_waits_for_the_resident_then_applies(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text("[idle]\ntimeout_s = 90\n", "utf-8")
    core = start_core(site, tmp_path / "data")
    reloaded = threading.Event()
    core.config_changed.connect(lambda _config: reloaded.set())
    core.start_hardware()
    try:
        resident = Resident(core)
        resident.begin()
        resident.identify()
        site.write_text("[idle]\ntimeout_s = 150\n", "utf-8")  # the technician's edit, mid-journey
        assert core.check_site_file()  # what the watcher thread does every few seconds
        assert core.settings.idle.timeout_s == 90 and not reloaded.is_set()
        resident.apply()
        resident.leave()
        assert reloaded.wait(30)
        assert core.settings.idle.timeout_s == 150
    finally:
        core.close()
