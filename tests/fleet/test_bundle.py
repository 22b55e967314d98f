"""The bundle format: parsing, validation hooks and the unpacker's refusals."""

from __future__ import annotations

import io
import tarfile
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.fleet import VALIDATORS, BundleError, check_bundle, pack, read_bundle, unpack
from kiosk.fleet import bundle as bundle_module


def write(folder, text, files=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bundle.toml").write_text(text, "utf-8")
    for name, content in (files or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, "utf-8")
    return folder


def tar_of(path, members):
    with tarfile.open(path, "w") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def member(name, data=b"", kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, len(data), link
    return info, data if kind == tarfile.REGTYPE else None


GOOD = 'version = 4\nnote = "2026 holidays"\n[settings.idle]\ntimeout_s = 60\n'


def test_pack_is_reproducible_and_unpacks_to_the_same_bundle(tmp_path):
    src = write(tmp_path / "src", GOOD, {"holidays/2026.toml": '[2026]\nholidays = []\n'})
    first, second = pack(src, tmp_path / "a.tar"), pack(src, tmp_path / "b.tar")
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()
    assert first.version == second.version == 4
    unpacked = unpack(tmp_path / "a.tar", tmp_path / "out")
    assert (unpacked.version, unpacked.note, unpacked.settings) == (4, "2026 holidays", {"idle": {"timeout_s": 60}})
    assert unpacked.holidays()[2026].holidays == frozenset()


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([member("../evil.toml", b"x")], "path leaves the bundle"),
        ([member("/etc/passwd", b"x")], "path leaves the bundle"),
        ([member("catalog/link", kind=tarfile.SYMTYPE, link="/etc/passwd")], "only regular files and folders"),
        ([member("catalog/hard", kind=tarfile.LNKTYPE, link="bundle.toml")], "only regular files and folders"),
        ([member("dev", kind=tarfile.CHRTYPE)], "only regular files and folders"),
        ([member("notes.txt", b"hi")], "bundle.toml: missing"),
        ([member("bundle.toml", b"version = ")], "not valid TOML"),
    ],
)
def test_unpack_refuses_unsafe_or_broken_archives_and_leaves_nothing(tmp_path, members, expected):
    archive = tar_of(tmp_path / "b.tar", members)
    with pytest.raises(BundleError, match=expected):
        unpack(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path.parent / "evil.toml").exists()


def test_unpack_refuses_a_bundle_too_large_once_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_module, "MAX_UNPACKED_BYTES", 100)
    archive = tar_of(tmp_path / "b.tar", [member("bundle.toml", GOOD.encode()), member("big", b"x" * 200)])
    with pytest.raises(BundleError, match="unpacks to more than 100 bytes"):
        unpack(archive, tmp_path / "out")


def test_not_a_tar_is_refused(tmp_path):
    (tmp_path / "b.tar").write_bytes(b"PK\x03\x04 not a tar")
    with pytest.raises(BundleError, match="not a readable tar"):
        unpack(tmp_path / "b.tar", tmp_path / "out")


@pytest.mark.parametrize(
    ("extra", "files", "expected"),
    [
        ("", {"holidays/2026.toml": '[2025]\nholidays = []\n'}, "must hold exactly the table [2026] (has [2025])"),
        ("", {"holidays/2026.toml": '[2026]\nholidays = [2027-01-01]\n'}, "is in another year"),
        (
            "",
            {"holidays/2026.toml": '[2026]\nholidays = ["2026-01-01..2026-01-03"]\nworkdays = [2026-01-03]\n'},
            "is both a holiday and a working day",
        ),
        ("", {"holidays/readme.md": "x"}, "holidays/readme.md: expected <year>.toml"),
        ("", {"catalog/items.json": "{}"}, "catalog/items.json: a catalog holds only YAML files"),
        ("", {"catalog/items.yaml": "a: [unclosed"}, "catalog/items.yaml: not valid YAML"),
        ("[settings.kiosk]\nid = \"K9\"\n", {}, "settings.kiosk.id: belongs to each kiosk's site file"),
    ],
)
def test_validators_name_the_file_and_field(tmp_path, extra, files, expected, monkeypatch):
    monkeypatch.setattr(bundle_module, "catalog_loader", lambda: None)
    bundle = read_bundle(write(tmp_path / "b", GOOD + extra, files))
    problems = check_bundle(bundle)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("notice", "expected"),
    [
        ('kind = "party"', "notices.0.kind"),
        ('text = { zh_CN = "闭馆" }', "notices.0.text.en"),
        ("valid_from = 2026-02-16T00:00:00", "needs a UTC offset"),
        ("valid_until = 2026-02-01T00:00:00+08:00", "valid_until must be after valid_from"),
    ],
)
def test_invalid_notices_are_refused(tmp_path, notice, expected):
    fields = {
        "id": 'id = "n1"',
        "kind": 'kind = "announcement"',
        "text": 'text = { zh_CN = "通知", en = "Notice" }',
        "valid_from": "valid_from = 2026-02-16T00:00:00+08:00",
        "valid_until": "valid_until = 2026-02-20T00:00:00+08:00",
    }
    fields[notice.split(" ")[0]] = notice
    text = GOOD.split("[settings")[0] + "[[notices]]\n" + "\n".join(fields.values()) + "\n"
    with pytest.raises(BundleError, match=expected):
        read_bundle(write(tmp_path / "b", text))


def test_catalog_is_validated_by_the_catalog_engine_when_installed(tmp_path, monkeypatch):
    seen = []

    def load_catalog(folder):
        seen.append(folder)
        raise ValueError("items/x.yaml: 001: department: unknown department code")

    monkeypatch.setattr(bundle_module, "catalog_loader", lambda: load_catalog)
    bundle = read_bundle(write(tmp_path / "b", GOOD, {"catalog/departments.yaml": "departments: []\n"}))
    assert check_bundle(bundle) == ["catalog: items/x.yaml: 001: department: unknown department code"]
    assert seen == [tmp_path / "b" / "catalog"]


def test_integrators_extend_the_validators(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_module, "VALIDATORS", [*VALIDATORS, lambda b: [f"v{b.version}: staff PIN too weak"]])
    bundle = read_bundle(write(tmp_path / "b", GOOD))
    assert check_bundle(bundle) == ["v4: staff PIN too weak"]


def test_settings_are_checked_over_the_kiosk_site_file(tmp_path):
    from kiosk.config import Layer
    from kiosk.config.loader import defaults_layer

    bundle = read_bundle(write(tmp_path / "b", 'version = 1\nnote = "n"\n[settings.idle]\nwarning_s = 50\n'))
    assert check_bundle(bundle) == []  # 50 < default timeout 90
    site = Layer("site", "site.toml", {"idle": {"timeout_s": 40}})
    problems = check_bundle(bundle, [defaults_layer(), site])
    assert problems and "warning_s must be shorter" in problems[0]


toml_scalars = st.one_of(st.integers(-3, 10), st.text(max_size=8), st.booleans(), st.none())
toml_values = st.recursive(
    toml_scalars, lambda inner: st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.dictionaries(st.sampled_from(["version", "note", "settings", "notices", "x"]), toml_values))
def test_any_manifest_either_parses_or_raises_bundle_error(tmp_path_factory, data):
    import json

    folder = tmp_path_factory.mktemp("h")
    # JSON objects of these scalars are TOML inline tables once None is dropped: write them through tomllib-safe text.
    clean = json.loads(json.dumps(data), object_hook=lambda d: {k: v for k, v in d.items() if v is not None})
    lines = [f"{json.dumps(k)} = {_toml(v)}" for k, v in clean.items() if v is not None]
    (folder / "bundle.toml").write_text("\n".join(lines) + "\n", "utf-8")
    try:
        tomllib.loads((folder / "bundle.toml").read_text("utf-8"))
    except tomllib.TOMLDecodeError:
        return
    try:
        bundle = read_bundle(folder)
    except BundleError as error:
        assert error.messages
        return
    assert bundle.version >= 1 and bundle.note


def _toml(value):
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items() if v is not None) + "}"
    return json.dumps(value)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(blob=st.binary(max_size=2048))
def test_any_bytes_either_unpack_or_raise_bundle_error(tmp_path_factory, blob):
    folder = tmp_path_factory.mktemp("u")
    (folder / "b.tar").write_bytes(blob)
    with pytest.raises(BundleError):
        unpack(folder / "b.tar", folder / "out")
    assert not (folder / "out").exists()
