"""Start-up fallbacks (kiosk.safe_mode): the last good catalog, and a refused site file with no good copy."""

from __future__ import annotations

import shutil

import pytest

from kiosk import safe_mode
from kiosk.config import load_settings
from kiosk.paths import config_dir
from kiosk.safe_mode import CatalogUnavailable, site_refusal, usable_catalog


def broken_catalog(tmp_path, name):
    folder = tmp_path / name
    shutil.copytree(config_dir() / "catalog", folder)
    next(folder.rglob("*.yaml")).write_text("items: [\n", "utf-8")
    return folder


def test_a_catalog_that_no_longer_loads_gives_way_to_the_next(tmp_path, monkeypatch):
    bad = broken_catalog(tmp_path, "applied")
    monkeypatch.setattr(safe_mode, "catalog_sources", lambda _d: [("the applied bundle", bad),
                                                                  ("the packaged catalog", config_dir() / "catalog")])
    faults = []
    catalog = usable_catalog(tmp_path, lambda code, detail: faults.append((code, detail)))
    assert len(catalog) > 0
    ((code, detail),) = faults
    assert code == "catalog_fallback" and detail.endswith("using the packaged catalog") and "applied" in detail


def test_no_catalog_at_all_is_safe_mode(tmp_path, monkeypatch):
    monkeypatch.setattr(safe_mode, "catalog_sources", lambda _d: [("a", broken_catalog(tmp_path, "a")),
                                                                  ("b", tmp_path / "missing")])
    with pytest.raises(CatalogUnavailable):
        usable_catalog(tmp_path, lambda *_: None)


def test_a_refused_site_file_without_a_good_copy_is_named(tmp_path):
    site = tmp_path / "kiosk.toml"
    site.write_text("[kiosk]\nidd = 1\n", "utf-8")
    refusal = site_refusal(load_settings(site_file=site, state_dir=tmp_path / "state"))
    assert refusal is not None and "kiosk.toml" in refusal and "idd" in refusal
    site.write_text('[kiosk]\nid = "K0042"\n', "utf-8")
    assert site_refusal(load_settings(site_file=site, state_dir=tmp_path / "state")) is None
    site.write_text("[kiosk]\nidd = 1\n", "utf-8")  # refused again, but a good copy now stands in
    assert site_refusal(load_settings(site_file=site, state_dir=tmp_path / "state")) is None


def test_safe_mode_heartbeats_on_what_can_be_known_of_a_refused_site_file(tmp_path, monkeypatch):
    site = tmp_path / "kiosk.toml"
    site.write_text('[kiosk]\nid = "K0042"\n[platform]\nurl = "https://gw.example.gov.cn"\n'
                    'credentials_file = "/etc/tongban/token"\n[fleet]\nrepo_url = "ftp://wrong"\n'
                    '[devices.printer]\npaper = "wide"\n', "utf-8")  # fmt: skip
    loaded = load_settings(site_file=site, state_dir=tmp_path / "state")
    beacon = safe_mode.beacon_settings(loaded, known_kiosk_id=None)
    assert beacon.kiosk.id == "K0042"  # the refused file's own id
    assert beacon.platform.url == "https://gw.example.gov.cn" and beacon.platform.credentials_file  # validates alone
    assert beacon.fleet.repo_url == ""  # [fleet] does not validate on its own: the defaults'
    assert safe_mode.beacon_settings(loaded, known_kiosk_id="K0007").kiosk.id == "K0007"  # the id it last ran as

    site.write_text("[kiosk\nid = 'K0042'\n", "utf-8")  # not even TOML: the machine names the kiosk
    monkeypatch.setattr(safe_mode, "MACHINE_ID", tmp_path / "machine-id")
    (tmp_path / "machine-id").write_text("0123456789abcdef0123456789abcdef\n", "ascii")
    beacon = safe_mode.beacon_settings(load_settings(site_file=site), known_kiosk_id=None)
    assert beacon.kiosk.id == "machine-0123456789ab" and beacon.platform.url == "sim"
