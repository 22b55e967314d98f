"""Operator commands through the CLI, key handling, `kiosk config pull --once`, polling with jitter, the MQTT nudge."""

from __future__ import annotations

import random
import shutil
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.fleet import FleetRepo, FleetRepoError, FleetUpdater, current_layer
from tests.polling import wait_for


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_init_pack_publish_show_and_pull(tmp_path, capsys, serve, fleet_bundle_dir):
    repo = tmp_path / "repo"
    status, out, _ = run(capsys, "fleet", "init", repo)
    assert status == 0 and "Keep it OFFLINE" in out and "kiosk fleet refresh" in out
    assert stat.S_IMODE((repo / "keys").stat().st_mode) == 0o700
    for role in ("root", "targets", "snapshot", "timestamp"):
        assert stat.S_IMODE((repo / "keys" / f"{role}.pem").stat().st_mode) == 0o600
    assert run(capsys, "fleet", "init", repo)[0] == 1  # never overwrites keys

    src = fleet_bundle_dir(tmp_path / "src", 3, "[settings.idle]\ntimeout_s = 75\n")
    status, out, _ = run(capsys, "fleet", "pack", src, "--out", tmp_path / "b3.tar")
    assert (status, out.strip()) == (0, f"{tmp_path / 'b3.tar'}: bundle version 3 (bundle v3)")
    status, out, _ = run(capsys, "fleet", "publish", repo, "--group", "pilot", tmp_path / "b3.tar")
    assert status == 0 and "group pilot now gets bundle version 3" in out
    status, out, _ = run(capsys, "fleet", "show", repo)
    assert status == 0 and "group pilot: bundle version 3" in out and "note: bundle v3" in out
    assert "timestamp        2" in out

    server = serve(repo)
    site = tmp_path / "kiosk.toml"
    site.write_text(
        f'[kiosk]\nid = "K0042"\n[fleet]\nrepo_url = "{server.url}"\ngroup = "pilot"\n'
        f'trusted_root = "{repo / "metadata" / "1.root.json"}"\n',
        "utf-8",
    )
    data = tmp_path / "data"
    status, out, _ = run(capsys, "config", "pull", "--once", "--config", site, "--data-dir", data)
    assert (status, out.strip()) == (0, "applied configuration version 3")
    status, out, _ = run(capsys, "config", "pull", "--once", "--config", site, "--data-dir", data)
    assert (status, out.strip()) == (0, "up to date at version 3")
    assert current_layer(data).data == {"idle": {"timeout_s": 75}}

    # A refusal explains itself and exits 1.
    stored = next((repo / "targets" / "groups" / "pilot").iterdir())
    src4 = fleet_bundle_dir(tmp_path / "src4", 4)
    run(capsys, "fleet", "pack", src4, "--out", tmp_path / "b4.tar")
    run(capsys, "fleet", "publish", repo, "--group", "pilot", tmp_path / "b4.tar")
    for path in (repo / "targets" / "groups" / "pilot").iterdir():
        if path != stored:
            path.write_bytes(path.read_bytes()[:-1] + b"!")
    status, out, _ = run(capsys, "config", "pull", "--once", "--config", site, "--data-dir", data)
    assert status == 1
    assert out.startswith("nothing applied (refused): bundle does not match its signed hash")
    assert out.strip().endswith("still running version 3")


def test_cli_reports_operator_mistakes(tmp_path, capsys, fleet_bundle_dir):
    repo = tmp_path / "repo"
    run(capsys, "fleet", "init", repo)
    bad = fleet_bundle_dir(tmp_path / "bad", 1, "[settings.idle]\ntimeout_s = 5\n")
    status, _, err = run(capsys, "fleet", "pack", bad, "--out", tmp_path / "bad.tar")
    assert status == 1
    assert "bundle.toml [settings] of v1: idle.timeout_s: Input should be greater than or equal to 15" in err
    status, _, err = run(capsys, "fleet", "show", tmp_path / "nothing")
    assert status == 1 and "kiosk fleet init" in err
    good = fleet_bundle_dir(tmp_path / "good", 1)
    run(capsys, "fleet", "pack", good, "--out", tmp_path / "good.tar")
    status, _, err = run(capsys, "fleet", "publish", repo, "--group", "Pilot Ring", tmp_path / "good.tar")
    assert status == 1 and "group" in err
    status, out, _ = run(capsys, "config", "pull", "--once", "--data-dir", tmp_path / "d")
    assert (status, out.strip()) == (0, "nothing applied: fleet updates are off (fleet.repo_url is empty)")


def test_rotate_key_with_the_root_key_kept_offline(tmp_path, capsys):
    repo = FleetRepo.init(tmp_path / "repo")
    usb = tmp_path / "usb"
    usb.mkdir()
    shutil.move(repo.key_path("root"), usb / "root.pem")  # what the init guidance asks for
    with pytest.raises(FleetRepoError, match="pass --root-key"):
        repo.rotate_key("snapshot")
    status, out, _ = run(capsys, "fleet", "rotate-key", repo.path, "--role", "snapshot", "--root-key", usb / "root.pem")
    assert status == 0 and "root version 2" in out
    assert not (repo.keys_dir / "root.pem").exists()  # the root key stayed on the stick
    assert stat.S_IMODE((repo.keys_dir / "snapshot.pem").stat().st_mode) == 0o600
    assert FleetRepo(repo.path).snapshot().signed.version == 2  # re-signed with the new key at once
    status, out, _ = run(capsys, "fleet", "rotate-key", repo.path, "--role", "root", "--root-key", usb / "root.pem")
    assert status == 0 and "destroy every copy of the old one" in out
    root = FleetRepo(repo.path).root()
    assert root.signed.version == 3 and len(root.signatures) == 2  # old and new root keys both signed


def test_a_key_not_in_the_current_root_is_refused(tmp_path):
    repo = FleetRepo.init(tmp_path / "repo")
    other = FleetRepo.init(tmp_path / "other")
    shutil.copyfile(other.key_path("targets"), repo.key_path("targets"))
    with pytest.raises(FleetRepoError, match="is not a targets key of this repository"):
        repo.signer("targets")


def test_show_warns_about_expiry(tmp_path):
    import datetime as dt

    repo = FleetRepo.init(tmp_path / "repo", expiry={"timestamp": dt.timedelta(days=1)})
    text = repo.show()
    assert "timestamp" in text and "expires soon" in text and "no group has a bundle yet" in text
    assert "EXPIRED" in repo.show(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))


@given(seed=st.integers(0, 2**32), interval=st.integers(30, 86400), jitter=st.floats(0.0, 0.9))
def test_poll_waits_stay_within_the_jitter_band(seed, interval, jitter):
    updater = FleetUpdater(Path("/nonexistent"), "", "all", Path("/x"), poll_interval_s=interval, jitter=jitter,
                           rng=random.Random(seed))  # fmt: skip
    for _ in range(5):
        wait = updater.next_wait()
        assert interval * (1 - jitter) - 1e-6 <= wait <= interval * (1 + jitter) + 1e-6


def test_fleet_settings_are_validated(tmp_path):
    from kiosk.config import load_settings

    site = tmp_path / "site.toml"
    site.write_text('[fleet]\nrepo_url = "ftp://x"\ngroup = "Pilot"\npoll_interval_s = 1\n', "utf-8")
    errors = " ".join(load_settings(site_file=site).errors)
    assert "fleet.repo_url" in errors and "fleet.group" in errors and "fleet.poll_interval_s" in errors


def test_mqtt_nudge_makes_the_kiosk_poll_at_once(fleet, mosquitto, capsys):
    kiosk = fleet.kiosk(mqtt_broker=mosquitto, poll_interval_s=3600, jitter=0.0)
    kiosk.start()
    try:
        assert wait_for(lambda: kiosk._nudge is not None and kiosk._nudge.subscribed)
        path = fleet.bundle(1, "[idle]\ntimeout_s = 110\n")
        status, out, _ = run(capsys, "fleet", "publish", fleet.repo.path, "--group", "pilot", path,
                             "--nudge", mosquitto)  # fmt: skip
        assert status == 0 and "nudged tongban/fleet/pilot" in out
        assert wait_for(lambda: fleet.running() == 1), fleet.audit.kinds()
        assert "fleet.nudged" in fleet.audit.kinds()
        # the switch is visible a moment before its audit record is written (on a busy machine, many moments)
        assert wait_for(lambda: "fleet.applied" in fleet.audit.kinds()), fleet.audit.kinds()
        assert fleet.audit.last("fleet.applied")["version"] == 1
    finally:
        kiosk.stop()


def test_a_nudge_carries_no_content(fleet, mosquitto):
    """A forged nudge only triggers a normal TUF round: with nothing new published, nothing changes."""
    from kiosk.fleet.nudge import send_nudge

    fleet.publish(1)
    kiosk = fleet.kiosk(mqtt_broker=mosquitto, poll_interval_s=3600, jitter=0.0)
    kiosk.start()
    try:
        assert wait_for(lambda: kiosk._nudge is not None and kiosk._nudge.subscribed)
        assert wait_for(lambda: fleet.running() == 1)
        send_nudge(mosquitto, "tongban/fleet/pilot", "pilot", 999)
        assert wait_for(lambda: kiosk.last_result is not None and fleet.audit.kinds().count("fleet.check") >= 2)
        assert wait_for(lambda: kiosk.last_result.outcome == "up_to_date")
        assert fleet.running() == 1
    finally:
        kiosk.stop()


def test_the_poll_thread_applies_a_deferred_bundle_when_the_session_ends(fleet):
    fleet.publish(1)
    fleet.session = True
    kiosk = fleet.kiosk(poll_interval_s=3600, jitter=0.0)
    kiosk.start()
    try:
        kiosk.nudge()
        assert wait_for(lambda: kiosk.last_result is not None and kiosk.last_result.outcome == "deferred")
        assert fleet.running() is None
        fleet.session = False
        kiosk.session_ended()
        assert wait_for(lambda: fleet.running() == 1)
    finally:
        kiosk.stop()
    assert kiosk.status()["config_version"] == 1
