"""Site files and fleet bundles: a damaged file is refused whole with a message, and the kiosk keeps a valid config."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kiosk.config.loader import Layer, defaults_layer, load
from kiosk.config.schema import Settings
from kiosk.fleet import BundleError, check_bundle, unpack
from kiosk.fleet.bundle import manifest_header
from tests.fuzz.mutation import FUZZ, mutated

SITE = """# /etc/tongban/kiosk.toml
[kiosk]
id = "K0042"
site_name = "城南街道便民服务中心24小时自助服务区"

[display]
orientation = "landscape"

[devices.printer]
uri = "tcp://192.0.2.10:9100"

[idle]
timeout_s = 90

[platform]
url = "https://gateway.example.gov.cn"
"""

MANIFEST = """version = 12
note = "2027 holidays; new gateway"

[settings.idle]
timeout_s = 120

[[notices]]
id = "spring-2027"
kind = "closure"
text = { zh_CN = "春节期间暂停服务", en = "Closed for the Spring Festival" }
valid_from = 2027-02-05T18:00:00+08:00
valid_until = 2027-02-12T08:00:00+08:00
"""
HOLIDAYS = """year = 2027
holidays = [{ date = 2027-01-01, name = "元旦" }, { date = 2027-02-06, name = "春节" }]
"""


@FUZZ
@given(mutated(SITE.encode(), max_ops=6))
def test_mutated_site_files_load_or_are_refused_naming_the_file(raw):
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "kiosk.toml"
        site.write_bytes(raw)
        loaded = load([defaults_layer(), Layer.from_file("site", site)], Path(tmp) / "state")
    assert isinstance(loaded.settings, Settings)
    outcome = loaded.outcomes[-1]
    if not outcome.applied:
        assert outcome.errors and all(str(site) in message for message in outcome.errors)


def tar_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


GOOD_TAR = tar_bytes({"bundle.toml": MANIFEST.encode(), "holidays/2027.toml": HOLIDAYS.encode()})
archives = (
    mutated(GOOD_TAR, max_ops=4)  # damaged archives: headers, padding, contents
    | st.tuples(mutated(MANIFEST.encode(), max_ops=5), mutated(HOLIDAYS.encode(), max_ops=3)).map(
        lambda pair: tar_bytes({"bundle.toml": pair[0], "holidays/2027.toml": pair[1]})
    )  # intact archives carrying damaged files, which reach the bundle's own validation
)


@FUZZ
@given(archives)
def test_mutated_bundles_unpack_and_validate_or_raise_bundle_error(blob):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        archive, dest = root / "b.tar", root / "out" / "bundle"
        archive.write_bytes(blob)
        (root / "out").mkdir()
        try:
            manifest_header(archive)
        except BundleError as error:
            assert error.messages
        try:
            bundle = unpack(archive, dest)
        except BundleError as error:
            assert error.messages and not dest.exists()
        else:
            problems = check_bundle(bundle)
            assert all(isinstance(p, str) and p for p in problems)
            bundle.active_notices()
        # nothing is ever written beside the destination
        assert sorted(os.listdir(root)) == ["b.tar", "out"]
        assert os.listdir(root / "out") in ([], ["bundle"])
