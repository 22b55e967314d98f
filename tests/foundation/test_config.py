"""Configuration layering and every refusal path: the message names the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.config import ConfigError, Layer, load, load_settings
from kiosk.config.loader import deep_merge, defaults_layer, read_toml


def site(tmp_path: Path, text: str, name: str = "kiosk.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_packaged_defaults_validate_and_carry_home_tiles():
    loaded = load_settings(site_file=None)
    assert loaded.errors == []
    assert loaded.settings.display.resolved_size == (1080, 1920)
    assert len(loaded.settings.home.tiles) >= 6


def test_site_file_overrides_defaults(tmp_path):
    text = '[kiosk]\nid = "K0042"\nsite_name = "城南街道便民服务中心"\n[display]\norientation = "landscape"\n'
    path = site(tmp_path, text)
    loaded = load_settings(site_file=path, state_dir=tmp_path / "state")
    assert loaded.errors == []
    assert loaded.settings.kiosk.id == "K0042"
    assert loaded.settings.kiosk.language == "zh_CN"  # untouched defaults remain
    assert loaded.settings.display.resolved_size == (1920, 1080)


@pytest.mark.parametrize(
    ("text", "field", "why"),
    [
        ('[kiosk]\ncolour = "red"\n', "kiosk.colour", "unknown setting"),
        ("[devices.printer]\npaper_width_mm = 70\n", "devices.printer.paper_width_mm", "70"),
        ('[idle]\ntimeout_s = "soon"\n', "idle.timeout_s", "integer"),
        ("[idle]\ntimeout_s = 30\nwarning_s = 40\n", "idle", "warning_s must be shorter"),
        ('[platform]\nurl = "http://gateway.example.gov.cn"\n', "platform.url", "loopback"),
        ('[kiosk]\nid = "bad id!"\n', "kiosk.id", "pattern"),
        ("[elder]\nscale = 1.2\n", "elder.scale", "1.5"),
        ('[[home.tiles]]\nkey = "a"\nlabel = { zh_CN = "甲" }\n', "home.tiles.0.label.en", "required"),
        ('[display]\nsize = [100, 100]\n', "display.size", "between 320"),
        ("[surprise]\nx = 1\n", "surprise", "unknown setting"),
    ],
)
def test_invalid_site_file_is_refused_whole_naming_file_and_field(tmp_path, text, field, why):
    path = site(tmp_path, '[kiosk]\nid = "K0099"\n' + text if "kiosk]" not in text else text)
    loaded = load_settings(site_file=path, state_dir=tmp_path / "state")
    assert loaded.errors, "the layer should have been refused"
    message = loaded.errors[0]
    assert message.startswith(str(path)), message
    assert f": {field}:" in message, message
    assert why in message, message
    assert loaded.settings.kiosk.id == "K0001"  # refused whole: not even the valid part applied


def test_unparseable_and_missing_files_are_refused_with_the_file_named(tmp_path):
    broken = site(tmp_path, "[kiosk\nid = 1\n")
    loaded = load_settings(site_file=broken)
    assert loaded.errors[0].startswith(f"{broken}: not valid TOML")
    missing = tmp_path / "nope.toml"
    assert load_settings(site_file=missing).errors == [f"{missing}: file not found"]


def test_refused_layer_falls_back_to_its_last_good_copy(tmp_path):
    state = tmp_path / "state"
    good = site(tmp_path, '[kiosk]\nid = "K0007"\n')
    assert load_settings(site_file=good, state_dir=state).settings.kiosk.id == "K0007"
    good.write_text('[kiosk]\nid = "K0008"\nbogus = 1\n', "utf-8")
    loaded = load_settings(site_file=good, state_dir=state)
    assert loaded.settings.kiosk.id == "K0007"  # the last good site configuration keeps running
    outcome = loaded.outcomes[-1]
    assert not outcome.applied and outcome.fallback
    assert json.loads((state / "last-good-site.json").read_text())["kiosk"]["id"] == "K0007"


def test_remote_layer_applies_over_site_and_a_bad_one_is_refused(tmp_path):
    base = [defaults_layer(), Layer("site", "site.toml", {"kiosk": {"id": "K0100"}})]
    ok = load([*base, Layer("remote", "bundle v7", {"idle": {"timeout_s": 120}})])
    assert (ok.settings.kiosk.id, ok.settings.idle.timeout_s) == ("K0100", 120)
    bad = load([*base, Layer("remote", "bundle v8", {"idle": {"timeout_s": -1}})])
    assert bad.settings.idle.timeout_s == 90
    assert bad.errors[0].startswith("bundle v8: idle.timeout_s:")


def test_read_toml_raises_config_error(tmp_path):
    with pytest.raises(ConfigError):
        read_toml(site(tmp_path, "= nothing"))


def test_deep_merge_merges_tables_and_replaces_lists():
    assert deep_merge({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}}) == {"a": {"b": 1, "c": [2]}, "d": 1}


def test_evaluation_reasons_are_the_national_indicator_codes():
    """好差评 reasons are codes of the national level-two indicators (kiosk.evaluation_codes), labels from gettext;
    an older site file's {code, label} tables and project codes still load, mapped to them."""
    from kiosk.config.schema import EvaluationSection
    from kiosk.evaluation_codes import REASONS

    assert EvaluationSection().reasons == tuple(REASONS)
    old = [{"code": "attitude", "label": {"zh_CN": "态度", "en": "Attitude"}}, {"code": "other", "label": {
        "zh_CN": "其他", "en": "Other"}}, "guide_info"]
    assert EvaluationSection(reasons=old).reasons == ("service_attitude", "guide_accuracy")
    with pytest.raises(ValueError, match="national"):
        EvaluationSection(reasons=["Took too long"])
