"""Start-up faults as the field meets them (issue 17), each through the real ``kiosk run`` under the unit's
conditions (tests/field/harness.py): never a restart loop. Worked around — a corrupt outbox (quarantined byte for
byte, a fresh one opened), a corrupt font (the next CJK font), a corrupt catalog (the last good one) — the kiosk
serves and the heartbeat names the fault. Not servable — a refused site file on a new data folder — the kiosk shows
the out-of-service screen instead of running as K0001 on simulators, keeps feeding the watchdog, and starts again
by itself once the file is fixed."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from kiosk.paths import config_dir
from tests.field.harness import Service, ping

pytestmark = pytest.mark.slow


def status_of(service: Service) -> str:
    ready = service.ready()
    return ready.fields.get("STATUS", "")


def log_lines(service: Service) -> str:
    return "\n".join(p.read_text("utf-8", errors="replace") for p in (service.data_dir / "logs").glob("*.log*"))


def test_a_refused_site_file_on_a_new_data_folder_is_out_of_service_until_it_is_fixed(service: Service) -> None:
    site = service.tmp / "kiosk.toml"
    site.write_text('[kiosk]\nid = "K0042"\n[devices.printer]\nuri = "usb://0416:5011"\npaper = "wide"\n', "utf-8")
    service.start(config=site)
    status = status_of(service)
    assert status.startswith("out of service: site_file_refused"), status
    service.notify.wait_for(ping, service.watchdog_s, "WATCHDOG=1 while out of service")
    second = service.notify.wait_for(ping, service.watchdog_s, "a second WATCHDOG=1: the watchdog stays fed")
    assert second.pid == service.kiosk_pid
    # the operator still sees the kiosk: a heartbeat under the id the refused file names, on the platform the
    # defaults name (here the bundled simulator), saying why it is out of service
    beat = service.wait_heartbeat()
    assert beat["in_service"] is False and str(beat["service_reason"]).startswith("site_file_refused: "), beat
    assert "devices.printer.paper" in str(beat["service_reason"]) and beat["devices"] == {}
    assert service.heartbeat_ids() == {"K0042"}  # never K0001 speaking for another kiosk
    sims = {p.name for p in (service.data_dir / "sim").iterdir()}
    assert not sims & {"printer", "camera"}, sims  # no device simulator: nothing serves a resident
    assert not (service.data_dir / "outbox.sqlite3").exists()  # queued applications wait for the real settings
    assert "site_file_refused" in log_lines(service)

    site.write_text('[kiosk]\nid = "K0042"\n', "utf-8")  # the technician fixes the file
    assert service.main is not None and service.main.wait(60) == 75, service.stderr()  # restart, not a crash
    earlier = len(service.heartbeats())
    service.start(config=site)  # what systemd does after RestartSec
    assert status_of(service) == "home screen shown"
    beat = service.wait_heartbeat(after=earlier)
    assert beat["in_service"] is True and beat["restarts"] == 1
    assert beat["last_start_fault"]["code"] == "site_file_refused"
    assert service.stop() == 0, service.stderr()
    assert service.leftovers() == {}


def test_a_corrupt_outbox_and_a_corrupt_font_are_worked_around(service: Service) -> None:
    service.data_dir.mkdir()
    corrupt = b"SQLite format 3\x00" + bytes(range(256)) * 40
    (service.data_dir / "outbox.sqlite3").write_bytes(corrupt)
    font = service.tmp / "broken.ttc"
    font.write_bytes(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").read_bytes()[:65536])  # truncated
    service.start(env={"TONGBAN_CJK_FONT": str(font)})
    assert status_of(service) == "home screen shown"
    beat = service.wait_heartbeat()
    assert beat["in_service"] is True and beat["jobs_failed"] == 0
    assert beat["last_start_fault"]["code"] in ("outbox_quarantined", "font_fallback")
    (kept,) = (service.data_dir / "quarantine").iterdir()
    assert (kept / "outbox.sqlite3").read_bytes() == corrupt  # kept byte for byte for recovery
    logged = log_lines(service)
    assert "start-up fault outbox_quarantined" in logged and "start-up fault font_fallback" in logged
    assert service.stop() == 0, service.stderr()
    assert service.leftovers() == {}


def test_a_corrupt_catalog_falls_back_to_the_last_good_one(service: Service) -> None:
    fleet = service.data_dir / "fleet"
    for version in (1, 2):
        bundle = fleet / "bundles" / f"{version}-test"
        shutil.copytree(config_dir() / "catalog", bundle / "catalog")
        (bundle / "bundle.toml").write_text(f'version = {version}\nnote = "catalog v{version}"\n', "utf-8")
    broken = next((fleet / "bundles" / "2-test" / "catalog").rglob("*.yaml"))
    broken.write_bytes(b"\xff\xfe: [unclosed\n")  # v2's catalog, applied, was damaged on disk
    (fleet / "current").symlink_to(fleet / "bundles" / "2-test")
    service.start()
    assert status_of(service) == "home screen shown"
    beat = service.wait_heartbeat()
    assert beat["in_service"] is True and beat["config_version"] == "2"
    fault = beat["last_start_fault"]
    assert fault["code"] == "catalog_fallback" and fault["detail"].endswith("using fleet bundle 1-test"), fault
    assert service.stop() == 0, service.stderr()
    assert service.leftovers() == {}


def test_a_corrupt_audit_trail_is_quarantined_and_the_fault_kept_in_plain_json(service: Service) -> None:
    """The state behind ``restarts``/``last_start_fault`` is plain JSON in the data folder (docs/deploy.md)."""
    service.data_dir.mkdir()
    (service.data_dir / "audit.sqlite3").write_bytes(b"\x00" * 8192 + b"not sqlite")
    service.start()
    assert status_of(service) == "home screen shown"
    beat = service.wait_heartbeat()
    assert beat["last_start_fault"]["code"] == "audit_quarantined" and beat["audit_head"] is not None
    state = json.loads((service.data_dir / "state" / "starts.json").read_text("utf-8"))
    assert state["last_start_fault"]["code"] == "audit_quarantined"
    assert service.stop() == 0, service.stderr()


def test_a_hardware_start_that_fails_is_out_of_service_and_retried_until_it_works(service: Service) -> None:
    """Out of service, the heartbeat still reaches the operator (the platform client alone: safe mode's beacon)
    with the reason, while the hardware is retried; it comes back by itself, and says so at once."""
    service.data_dir.mkdir()
    key = service.data_dir / "outbox.key"
    key.write_bytes(b"\x07" * 9)  # a botched restore cut the outbox's sealing key short: the outbox cannot open
    service.start()
    assert status_of(service) == "home screen shown"  # the first frame comes before the hardware
    down = service.notify.wait_for(lambda m: m.fields.get("STATUS", "").startswith("out of service"), 120,
                                   "out of service after the failed hardware start")  # fmt: skip
    assert "hardware_failed" in down.fields["STATUS"] and "outbox.key" in down.fields["STATUS"]
    service.notify.wait_for(ping, service.watchdog_s, "WATCHDOG=1 while out of service")
    beat = service.wait_heartbeat()  # the platform simulator heard it: out of service, and why
    assert beat["in_service"] is False and str(beat["service_reason"]).startswith("hardware_failed: "), beat
    assert "outbox.key" in str(beat["service_reason"]) and beat["devices"] == {}  # no device serves anyone
    assert beat["last_start_fault"]["code"] == "hardware_failed"
    key.write_bytes(bytes(range(32)))  # the technician restores the key from the backup
    service.notify.wait_for(lambda m: m.fields.get("STATUS") == "home screen shown", 120, "back in service")
    assert service.main is not None and service.main.poll() is None  # the same process: no restart needed
    deadline = time.monotonic() + 60
    while not any(b["in_service"] is True for b in service.heartbeats()):  # sent at once, not a period later
        assert time.monotonic() < deadline, service.heartbeats()[-1]
        time.sleep(0.2)
    assert service.stop() == 0, service.stderr()
    assert service.leftovers() == {}


def test_an_outbox_held_locked_by_another_process_is_waited_for_not_quarantined(service: Service) -> None:
    """A stray ``sqlite3`` shell or a backup tool holding the outbox: a sound file is never moved aside (its
    applications would look lost); the kiosk is out of service saying why and serves once the lock goes."""
    service.data_dir.mkdir()
    outbox = service.data_dir / "outbox.sqlite3"
    with closing(sqlite3.connect(outbox)) as db, db:
        db.execute("CREATE TABLE kept (body TEXT)")
        db.execute("INSERT INTO kept VALUES ('an application of last night')")
    holder = sqlite3.connect(outbox, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        service.start()
        down = service.notify.wait_for(lambda m: m.fields.get("STATUS", "").startswith("out of service"), 120,
                                       "out of service while the outbox is locked")  # fmt: skip
        assert "hardware_failed" in down.fields["STATUS"] and "locked" in down.fields["STATUS"]
    finally:
        holder.close()
    service.notify.wait_for(lambda m: m.fields.get("STATUS") == "home screen shown", 120, "back in service")
    assert not (service.data_dir / "quarantine").exists()
    with closing(sqlite3.connect(outbox)) as db:
        assert db.execute("SELECT body FROM kept").fetchall() == [("an application of last night",)]
    assert service.stop() == 0, service.stderr()


def test_an_unusable_data_folder_is_out_of_service_not_a_restart_loop(service: Service) -> None:
    service.data_dir.write_text("a file where the data folder should be\n", "utf-8")  # a botched restore
    service.start()
    status = status_of(service)
    assert status.startswith("out of service: data_dir_unusable"), status
    service.notify.wait_for(ping, service.watchdog_s, "WATCHDOG=1 while out of service")
    assert "data_dir_unusable" in service.stderr()  # the log goes to the journal instead
    assert service.stop() == 0, service.stderr()
    assert service.leftovers() == {}


@pytest.mark.parametrize(
    ("fault", "code"), [("no_font", "font_missing"), ("no_catalog", "catalog_unavailable")], ids=["font", "catalog"]
)
def test_what_cannot_be_worked_around_is_out_of_service_with_the_reason_in_the_heartbeat(service, fault, code):
    service.start(fault=fault)
    status = status_of(service)
    assert status.startswith(f"out of service: {code}"), status
    beat = service.wait_heartbeat()  # the hardware still starts: the operator learns why, a fix can arrive
    assert beat["in_service"] is False and beat["service_reason"].startswith(f"{code}: ")
    assert beat["last_start_fault"]["code"] == code
    service.notify.wait_for(ping, service.watchdog_s, "WATCHDOG=1 while out of service")
    assert service.stop() == 0, service.stderr()
    assert service.leftovers() == {}


def test_a_bundle_the_hardware_does_not_start_on_at_boot_is_reverted_not_safe_mode(service: Service) -> None:
    """Applied while the kiosk was stopped (``kiosk config pull --once``), never started on: reverted at boot as a
    running kiosk reverts it, audited, in the heartbeat, and the kiosk serves on the last good configuration."""
    bundle = service.data_dir / "fleet" / "bundles" / "1-test"
    bundle.mkdir(parents=True)
    (bundle / "bundle.toml").write_text('version = 1\nnote = "new printer"\n[settings.devices.printer]\n'
                                        'uri = "bogus://printer"\n', "utf-8")  # fmt: skip
    (service.data_dir / "fleet" / "current").symlink_to(bundle)
    site = service.tmp / "kiosk.toml"  # a fleet repository that does not answer: the revert needs none
    site.write_text('[fleet]\nrepo_url = "http://127.0.0.1:9/fleet"\npoll_interval_s = 3600\n', "utf-8")
    service.start(config=site)
    assert status_of(service) == "home screen shown"
    beat = service.wait_heartbeat()
    assert beat["in_service"] is True and beat["config_version"] == "local", beat
    revert = beat["fleet"]["last_revert"]
    assert revert["version"] == 1 and "bogus://printer" in revert["reason"], revert
    with sqlite3.connect(service.data_dir / "audit.sqlite3") as db:
        kinds = [json.loads(body)["kind"] for (body,) in db.execute("SELECT body FROM audit ORDER BY seq")]
    assert "fleet.health_failed" in kinds and "fleet.reverted" in kinds, kinds
    assert not any(m.fields.get("STATUS", "").startswith("out of service") for m in service.notify.received)
    assert service.stop() == 0, service.stderr()
    assert service.leftovers() == {}
