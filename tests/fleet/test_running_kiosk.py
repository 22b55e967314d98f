"""Fleet updates inside the running kiosk core: deferred while a resident is served, applied when the session
ends, configuration reloaded in place, the hardware restarted when device settings change, every step audited."""

from __future__ import annotations

from kiosk.launch import start_core


def test_bundle_waits_for_the_session_then_reloads_configuration_and_hardware(fleet, tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(
        f'[fleet]\nrepo_url = "{fleet.server.url}"\ngroup = "pilot"\ntrusted_root = "{fleet.trusted_root}"\n'
        "poll_interval_s = 3600\n",
        "utf-8",
    )
    core = start_core(site, tmp_path / "data")
    events = []
    core.subscribe(lambda kind, payload: events.append(kind))
    core.start_hardware()
    try:
        first_printer = core.hardware.devices["printer"]
        fleet.publish(1, settings="[idle]\ntimeout_s = 120\n[devices.printer]\npaper_width_mm = 58\n")
        core.session_active = True
        assert core.fleet.poll_once().outcome == "deferred"
        assert core.settings.idle.timeout_s == 90  # nothing changes under a resident's feet

        core.fleet.stop()  # drive the pending apply from this thread, as session_ended does without a poller
        core.end_session()
        assert core.settings.idle.timeout_s == 120
        assert core.settings.devices.printer.paper_width_mm == 58
        assert core.hardware.devices["printer"] is not first_printer  # device settings changed: restarted
        assert "config_reloaded" in events
        kinds = [record.kind for record in core.hardware.audit.tail(50)]
        assert "fleet.deferred" in kinds and "fleet.applied" in kinds
    finally:
        core.close()
