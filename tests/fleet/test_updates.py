"""The kiosk against a repository made by the operator commands: every attack and fault leaves the old
configuration running and audits the reason."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import pytest
from securesystemslib.signer import CryptoSigner

from kiosk.fleet import FleetRepo, applied_version, current_bundle, current_layer
from kiosk.health import fleet_events


def assert_kept(fleet, version, kind="fleet.refused"):
    """The refusal left ``version`` running and the audit trail says why."""
    assert fleet.running() == version
    record = fleet.audit.last(kind)
    assert record["reason"]
    return record["reason"]


def start_at_v1(fleet):
    fleet.publish(1, "[idle]\ntimeout_s = 100\n")
    kiosk = fleet.kiosk()
    assert kiosk.poll_once().outcome == "applied"
    fleet.audit.clear()
    return kiosk


def test_normal_update_applies_settings_and_reports_the_version(fleet):
    fleet.publish(1, "[idle]\ntimeout_s = 120\n")
    kiosk = fleet.kiosk()
    assert fleet.running() is None
    result = kiosk.poll_once()
    assert (result.outcome, result.version) == ("applied", 1), result
    assert result.describe() == "applied configuration version 1"
    layer = current_layer(fleet.tmp / "k1")
    assert layer.name == "remote" and layer.data == {"idle": {"timeout_s": 120}}
    assert fleet.audit.kinds() == [
        "fleet.check",
        "fleet.verified",
        "fleet.health_ok",
        "fleet.health_ok",
        "fleet.applied",
    ]
    assert fleet.audit.last("fleet.applied") == {"version": 1, "previous": None, "note": "test bundle v1"}
    assert kiosk.status() == {"config_version": 1, "config_result": {"outcome": "applied", "reason": "test bundle v1"}}

    assert kiosk.poll_once().outcome == "up_to_date"  # nothing new: nothing downloaded, nothing applied
    fleet.publish(2, "[idle]\ntimeout_s = 150\n")
    assert kiosk.poll_once().version == 2
    assert current_layer(fleet.tmp / "k1").data == {"idle": {"timeout_s": 150}}
    assert fleet.audit.last("fleet.applied")["previous"] == 1


def test_the_kiosk_loader_takes_the_applied_bundle_as_its_remote_layer(fleet, tmp_path):
    from kiosk.config import load_settings

    fleet.publish(1, '[kiosk]\nsite_name = "城南街道便民服务中心"\n[idle]\ntimeout_s = 200\n')
    fleet.kiosk().poll_once()
    site = tmp_path / "site.toml"
    site.write_text('[kiosk]\nid = "K0042"\n', "utf-8")
    loaded = load_settings(site_file=site, remote=current_layer(fleet.tmp / "k1"))
    assert loaded.errors == []
    assert (loaded.settings.kiosk.id, loaded.settings.idle.timeout_s) == ("K0042", 200)
    assert loaded.settings.kiosk.site_name == "城南街道便民服务中心"


def test_tampered_bundle_is_refused(fleet):
    kiosk = start_at_v1(fleet)
    fleet.publish(2, "[idle]\ntimeout_s = 300\n")
    stored = fleet.target_file()
    data = bytearray(stored.read_bytes())
    data[600] ^= 0xFF  # same length, one byte changed on the server
    stored.write_bytes(bytes(data))
    result = kiosk.poll_once()
    assert result.outcome == "refused" and result.offered == 2
    assert "does not match its signed hash" in assert_kept(fleet, 1)
    assert fleet.audit.last("fleet.refused")["stage"] == "download"


def test_bundle_signed_with_the_wrong_key_is_refused(fleet, monkeypatch):
    kiosk = start_at_v1(fleet)
    rogue = CryptoSigner.generate_ed25519()  # e.g. a stolen server, but not the operators' targets key
    real = fleet.repo.signer
    monkeypatch.setattr(fleet.repo, "signer", lambda role: rogue if role == "targets" else real(role))
    fleet.repo.publish("pilot", fleet.bundle(2, '[platform]\nurl = "https://evil.example.com"\n'))
    assert kiosk.poll_once().outcome == "refused"
    reason = assert_kept(fleet, 1)
    assert reason.startswith("bad signature"), reason
    assert current_layer(fleet.tmp / "k1").data == {"idle": {"timeout_s": 100}}


def test_expired_timestamp_is_refused(fleet):
    kiosk = start_at_v1(fleet)
    stale = FleetRepo(fleet.repo.path, expiry={"timestamp": dt.timedelta(seconds=-60)})
    stale.publish("pilot", fleet.bundle(2))
    assert kiosk.poll_once().outcome == "refused"
    assert assert_kept(fleet, 1).startswith("expired metadata")
    FleetRepo(fleet.repo.path).refresh()  # the operator's daily cron job repairs it
    assert kiosk.poll_once().version == 2


def test_older_metadata_replayed_is_refused(fleet):
    kiosk = start_at_v1(fleet)
    old_timestamp = (fleet.repo.metadata_dir / "timestamp.json").read_bytes()
    fleet.publish(2)
    assert kiosk.poll_once().version == 2
    fleet.audit.clear()
    (fleet.repo.metadata_dir / "timestamp.json").write_bytes(old_timestamp)  # an attacker serves the v1 state
    assert kiosk.poll_once().outcome == "refused"
    assert assert_kept(fleet, 2).startswith("rollback refused")


def test_a_fresh_kiosk_never_goes_below_what_it_runs(fleet):
    """Even correctly signed metadata offering a lower bundle version (kiosk moved between groups) is refused."""
    fleet.publish(5)
    fleet.publish(3, group="all")
    kiosk = fleet.kiosk()
    assert kiosk.poll_once().version == 5
    kiosk.group = "all"
    assert kiosk.poll_once().outcome == "refused"
    assert assert_kept(fleet, 5) == "rollback refused: offered 3 < applied 5"


@pytest.mark.parametrize("role", ["snapshot", "targets"])
def test_metadata_mixed_from_two_versions_is_refused(fleet, role):
    kiosk = start_at_v1(fleet)
    fleet.publish(2)
    versions = {"snapshot": fleet.repo.snapshot().signed.version, "targets": fleet.repo.targets().signed.version}
    newest = fleet.repo.metadata_dir / f"{versions[role]}.{role}.json"
    newest.write_bytes((fleet.repo.metadata_dir / f"{versions[role] - 1}.{role}.json").read_bytes())
    assert kiosk.poll_once().outcome == "refused"
    reason = assert_kept(fleet, 1)
    assert reason.startswith("rollback refused"), reason
    newest_version = versions[role]
    assert re.search(rf"expected {role} v(ersion )?{newest_version}, got v?{newest_version - 1}", reason.lower())


def test_bundle_larger_than_declared_is_refused(fleet):
    kiosk = start_at_v1(fleet)
    fleet.publish(2)
    with fleet.target_file().open("ab") as handle:
        handle.write(b"\0" * 4096)
    assert kiosk.poll_once().outcome == "refused"
    assert assert_kept(fleet, 1).startswith("larger than declared")


@pytest.mark.parametrize(
    ("settings", "extra", "expected"),
    [
        ("[idle]\ntimeout_s = -1\n", "", "idle.timeout_s"),
        ("[kiosk]\ncolour = 1\n", "", "kiosk.colour: unknown setting"),
        ('[platform]\nurl = "http://gateway.example.com"\n', "", "platform.url"),
        ('[fleet]\nrepo_url = "https://elsewhere.example.com"\n', "", "settings.fleet.repo_url: belongs to each"),
        ("", "surprise = 1", "bundle.toml: surprise: unknown field"),
    ],
)
def test_schema_invalid_bundle_is_refused_and_not_retried(fleet, settings, extra, expected):
    kiosk = start_at_v1(fleet)
    fleet.repo.publish("pilot", fleet.bundle(2, settings, extra=extra, validate=False), check=False)
    assert kiosk.poll_once().outcome == "refused"
    assert expected in assert_kept(fleet, 1)
    assert fleet.audit.last("fleet.refused")["stage"] in ("validation", "bundle")
    fleet.audit.clear()
    again = kiosk.poll_once()  # the same version is not downloaded again
    assert again.outcome == "refused" and "was refused before" in again.reason
    assert "fleet.verified" not in fleet.audit.kinds() and "fleet.refused" not in fleet.audit.kinds()
    fleet.publish(3)  # a corrected bundle with a higher version goes through
    assert kiosk.poll_once().version == 3


def test_the_operator_cannot_publish_an_invalid_bundle_by_accident(fleet):
    from kiosk.fleet import FleetRepoError

    with pytest.raises(FleetRepoError, match=r"idle\.timeout_s"):
        fleet.repo.publish("pilot", fleet.bundle(1, "[idle]\ntimeout_s = -1\n", validate=False))
    fleet.publish(2)
    with pytest.raises(FleetRepoError, match="already has version 2"):
        fleet.publish(2)


def test_update_arriving_mid_session_waits_for_the_session_to_end(fleet):
    kiosk = start_at_v1(fleet)
    fleet.publish(2, "[idle]\ntimeout_s = 250\n")
    fleet.session = True
    result = kiosk.poll_once()
    assert (result.outcome, result.offered) == ("deferred", 2)
    assert fleet.running() == 1  # the resident keeps the configuration they started with
    assert fleet.audit.last("fleet.deferred") == {"version": 2, "reason": "resident session active"}
    assert kiosk.apply_pending().outcome == "deferred"  # still in session
    assert kiosk.poll_once().outcome == "deferred"  # a poll meanwhile does not download it again
    assert fleet.audit.kinds().count("fleet.verified") == 1
    fleet.session = False
    kiosk.session_ended()
    assert fleet.running() == 2
    assert kiosk.last_result.outcome == "applied"
    assert kiosk.apply_pending() is None


def test_failing_health_check_reverts_to_the_last_good_bundle(fleet):
    asked = []

    def platform_check(url):
        asked.append(url)
        return url != "https://gw2.example.gov.cn"

    kiosk = start_at_v1(fleet)
    kiosk.platform_check = platform_check
    fleet.publish(2, '[platform]\nurl = "https://gw2.example.gov.cn"\n')
    result = kiosk.poll_once()
    assert (result.outcome, result.version, result.offered) == ("reverted", 1, 2)
    assert asked == ["https://gw2.example.gov.cn"]
    assert "platform at https://gw2.example.gov.cn did not answer" in assert_kept(fleet, 1, "fleet.reverted")
    assert fleet.audit.last("fleet.health_failed")["check"] == "platform"
    assert current_layer(fleet.tmp / "k1").data == {"idle": {"timeout_s": 100}}
    assert kiosk.poll_once().outcome == "refused"  # not re-applied at every poll
    events = fleet_events(fleet.tmp / "k1")  # the heartbeat's fleet field (kiosk.health)
    assert events["last_revert"]["version"] == 2 and "did not answer" in events["last_revert"]["reason"]
    assert events["last_refusal"]["version"] == 2 and "refused before" in events["last_refusal"]["reason"]
    fleet.publish(3, '[platform]\nurl = "https://gw3.example.gov.cn"\n')
    assert kiosk.poll_once().version == 3
    assert asked[-1] == "https://gw3.example.gov.cn"


def test_failing_catalog_or_config_check_reverts(fleet):
    def broken(_bundle):
        raise RuntimeError("catalog would not load")

    kiosk = start_at_v1(fleet)
    kiosk.catalog_check = broken
    fleet.publish(2)
    assert kiosk.poll_once().outcome == "reverted"
    assert "catalog: catalog would not load" in assert_kept(fleet, 1, "fleet.reverted")
    first = fleet.kiosk("k2", config_check=broken)
    assert first.poll_once().outcome == "reverted"
    assert fleet.running("k2") is None  # a first bundle that fails leaves the kiosk on its local configuration


def test_server_dropping_the_connection_mid_download(fleet):
    kiosk = start_at_v1(fleet)
    fleet.publish(2)
    fleet.server.faults["bundle.tar"] = fleet.drop_midway
    assert kiosk.poll_once().outcome == "refused"
    reason = assert_kept(fleet, 1)
    assert reason.startswith(("download interrupted", "download failed")), reason
    assert not (fleet.tmp / "k1" / "fleet" / "download").exists()
    fleet.server.faults.clear()
    assert kiosk.poll_once().version == 2  # a transient fault is retried at the next poll


def test_server_dropping_metadata_mid_download(fleet):
    kiosk = start_at_v1(fleet)
    fleet.publish(2)
    fleet.server.faults["timestamp.json"] = fleet.drop_midway
    assert kiosk.poll_once().outcome == "refused"
    assert assert_kept(fleet, 1)
    fleet.server.faults.clear()
    assert kiosk.poll_once().version == 2


def test_root_and_targets_key_rotation(fleet):
    kiosk = start_at_v1(fleet)
    old_targets_key = fleet.repo.signer("targets")
    fleet.repo.rotate_key("root")
    fleet.repo.rotate_key("targets")
    fleet.repo.rotate_key("timestamp")
    fleet.publish(2)
    assert kiosk.poll_once().version == 2
    root = json.loads((fleet.tmp / "k1" / "fleet" / "tuf" / "root.json").read_text())
    assert root["signed"]["version"] == 4  # the kiosk walked 1 → 2 → 3 → 4, each vouched for by the one before
    # A fresh kiosk installed with the original root follows the same chain.
    assert fleet.kiosk("k2").poll_once().version == 2
    # The retired targets key is no longer trusted.
    fleet.audit.clear()
    real = fleet.repo.signer
    fleet.repo.signer = lambda role: old_targets_key if role == "targets" else real(role)
    fleet.repo.publish("pilot", fleet.bundle(3))
    assert kiosk.poll_once().outcome == "refused"
    assert assert_kept(fleet, 2).startswith("bad signature")


def test_root_signed_only_by_a_new_key_is_refused(fleet):
    """A new root not vouched for by the old root key (an attacker's own root) is not followed."""
    kiosk = start_at_v1(fleet)
    attacker = FleetRepo.init(fleet.tmp / "attacker")
    shutil.copyfile(attacker.metadata_dir / "1.root.json", fleet.repo.metadata_dir / "2.root.json")
    assert kiosk.poll_once().outcome == "refused"
    assert assert_kept(fleet, 1).startswith(("bad signature", "metadata refused", "rollback refused"))


def test_missing_trusted_root_and_unreachable_repository_are_reasons(fleet, tmp_path):
    fleet.trusted_root = tmp_path / "nowhere.json"
    result = fleet.kiosk("k3").poll_once()
    assert result.outcome == "refused" and "nowhere.json" in result.reason
    fleet.server.close()
    fleet.trusted_root = fleet.repo.metadata_dir / "1.root.json"
    result = fleet.kiosk("k4").poll_once()
    assert result.outcome == "refused" and result.reason.startswith("repository unreachable"), result


def test_fleet_updates_off_without_a_repository_url(tmp_path):
    from kiosk.fleet import FleetUpdater

    result = FleetUpdater(tmp_path, "", "all", tmp_path / "root.json").poll_once()
    assert result.outcome == "off"
    assert result.describe() == "nothing applied: fleet updates are off (fleet.repo_url is empty)"


def test_crash_during_health_check_goes_back_on_restart(fleet):
    kiosk = start_at_v1(fleet)
    fleet.publish(2)

    def crash(_bundle):
        raise KeyboardInterrupt  # stands in for the power going off mid-check

    kiosk.config_check = crash
    with pytest.raises(KeyboardInterrupt):
        kiosk.poll_once()
    assert applied_version(fleet.tmp / "k1") == 2  # the switch happened ...
    restarted = fleet.kiosk()
    assert fleet.running() == 1  # ... and the restart went back to the last good bundle
    assert fleet.audit.last("fleet.reverted")["reason"] == "interrupted during its health check"
    assert restarted.poll_once().version == 2  # not held against the bundle: it is tried again


def test_accessors_for_catalog_holidays_and_notices(fleet):
    from kiosk.fleet import active_notices, applied_catalog_dir, applied_holidays

    src = fleet.write_bundle_dir(
        fleet.tmp / "full",
        1,
        extra=(
            '[[notices]]\nid = "spring"\nkind = "closure"\n'
            'text = { zh_CN = "春节期间暂停服务", en = "Closed for the Spring Festival" }\n'
            "valid_from = 2026-02-16T00:00:00+08:00\nvalid_until = 2026-02-20T00:00:00+08:00\n"
        ),
    )
    (src / "holidays").mkdir()
    (src / "holidays" / "2026.toml").write_text(
        '[2026]\nholidays = [2026-01-01]\nworkdays = [2026-01-04]\n', "utf-8"
    )
    (src / "holidays" / "2027.toml").write_text(  # the official notice replaces the packaged provisional table
        '[2027]\nholidays = ["2027-02-05..2027-02-13"]\nworkdays = [2027-02-20]\n', "utf-8"
    )
    (src / "catalog").mkdir()
    (src / "catalog" / "departments.yaml").write_text("departments: []\n", "utf-8")
    from kiosk.fleet import pack

    pack(src, fleet.tmp / "full.tar")
    fleet.repo.publish("pilot", fleet.tmp / "full.tar")
    fleet.kiosk().poll_once()
    data_dir = fleet.tmp / "k1"
    assert (applied_catalog_dir(data_dir) / "departments.yaml").is_file()
    assert applied_holidays(data_dir)[2026].workdays == frozenset({dt.date(2026, 1, 4)})
    from kiosk.workdays import add_working_days, holiday_tables

    tables = holiday_tables(data_dir)  # what promised dates are counted with
    assert not tables[2027].provisional and dt.date(2027, 2, 20) in tables[2027].workdays
    assert add_working_days(dt.date(2027, 2, 4), 1, tables) == (dt.date(2027, 2, 15), False)
    during = dt.datetime(2026, 2, 17, 9, 0, tzinfo=dt.UTC)
    assert [n.id for n in active_notices(data_dir, during)] == ["spring"]
    assert active_notices(data_dir, dt.datetime(2026, 3, 1, tzinfo=dt.UTC)) == []
    assert current_bundle(data_dir).note == "test bundle v1"
