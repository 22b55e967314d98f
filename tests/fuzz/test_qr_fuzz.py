"""QR payloads a phone or an old receipt shows the camera: decoded losslessly, or refused with the parser's error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera.qr import decode_payload
from drivers.sim.camera.scenes import QR_PAYLOAD_CN, QR_PAYLOAD_URL
from drivers.sim.platform import make_qr_payload
from tests.fuzz.mutation import FUZZ, mutated

PAYLOADS = [QR_PAYLOAD_CN.encode(), QR_PAYLOAD_CN.encode("gb18030"), QR_PAYLOAD_URL.encode(),
            make_qr_payload("110105199003071239", 1_900_000_000).encode(),
            b"\xef\xbb\xbf" + "张三".encode()]


@FUZZ
@given(mutated(st.sampled_from(PAYLOADS), max_ops=6))
def test_mutated_payloads_decode_to_text_that_encodes_back(data):
    text, encoding = decode_payload(data)
    assert encoding in ("utf-8", "gb18030", "latin-1")
    # a BOM is dropped only in front of UTF-8; otherwise the text is the exact payload (it is forwarded as is)
    body = data.removeprefix(b"\xef\xbb\xbf") if encoding == "utf-8" else data
    assert text.encode(encoding) == body


def progress_qr():
    return pytest.importorskip("kiosk.applications.progress_qr", reason="the receipt QR format is not on this branch")


@FUZZ
@given(st.data())
def test_receipt_qr_parses_or_raises_its_own_error(data):
    qr = progress_qr()
    good = [qr.format_progress_qr("TB202603020000001"), qr.format_progress_qr(None, "K0001-000123"),
            qr.format_progress_qr("TB202603020000001", "K0001-000123")]  # fmt: skip
    raw = data.draw(mutated(st.sampled_from([g.encode() for g in good]), max_ops=5))
    text = raw.decode("latin-1")
    try:
        key = qr.parse_progress_qr(text)
    except qr.ProgressQrError:
        return
    # whatever parses formats back to a code that parses to the same key
    assert qr.parse_progress_qr(qr.format_progress_qr(key.application_no, key.reference)) == key
