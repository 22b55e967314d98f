"""QR codes: payload text (UTF-8 and GB18030), decoding from simulator video, repeat suppression."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera.qr import QrDeduper, QrReader, decode_payload
from drivers.sim.camera import QR_PAYLOAD_CN, QR_PAYLOAD_URL, load_truth


def test_payload_bytes_become_text():
    assert decode_payload("通办".encode()) == ("通办", "utf-8")
    assert decode_payload(b"\xef\xbb\xbf" + "张三".encode()) == ("张三", "utf-8")
    assert decode_payload("社会保障".encode("gbk")) == ("社会保障", "gb18030")
    text, encoding = decode_payload(b"\xff\xfe\x81")  # neither UTF-8 nor GB18030
    assert encoding == "latin-1" and len(text) == 3


@given(st.text())
def test_any_utf8_text_decodes_to_itself(text):
    assert decode_payload(text.encode("utf-8"))[0] == text.removeprefix("\ufeff")


@given(st.binary().filter(lambda b: not b.startswith(b"\xef\xbb\xbf")))
def test_any_bytes_give_text_that_encodes_back_to_them(data):
    text, encoding = decode_payload(data)
    assert encoding in ("utf-8", "gb18030", "latin-1")
    assert text.encode(encoding) == data  # lossless: the platform can be sent the exact payload


@pytest.mark.parametrize(("scene", "payload"), [("qr", QR_PAYLOAD_CN), ("qr_url", QR_PAYLOAD_URL)])
def test_simulator_qr_decodes_with_payload_and_position(videos, frames_of, scene, payload):
    path = videos(scene)
    truth = load_truth(path)["scenes"][0]
    assert truth["qr_payload"] == payload
    reader = QrReader()
    for frame in frames_of(path, 3):
        codes = reader.read(frame)
        assert [c.text for c in codes] == [payload]
        centre = np.array(codes[0].centre)
        assert np.linalg.norm(centre - np.mean(truth["qr_corners"], axis=0)) < 5
        assert payload not in repr(codes[0])  # payloads can be personal data


def test_plain_opencv_detector_reads_the_chinese_payload_too(videos, frames_of):
    frame = frames_of(videos("qr"), 1)[0]
    assert [c.text for c in QrReader(aruco=False).read(frame)] == [QR_PAYLOAD_CN]


def test_no_code_in_document_or_black_frames(videos, frames_of):
    reader = QrReader()
    assert reader.read(frames_of(videos("document"), 1)[0]) == []
    assert reader.read(frames_of(videos("black"), 1)[0]) == []


def test_repeats_within_the_window_are_reported_once():
    dedupe = QrDeduper(window=3.0)
    assert dedupe.is_new(b"A", 0.0)
    assert not dedupe.is_new(b"A", 1.0)
    assert not dedupe.is_new(b"A", 3.9)  # window slides while the code stays in view
    assert dedupe.is_new(b"B", 4.0)
    assert dedupe.is_new(b"A", 7.5)  # away longer than the window: a new showing


@given(st.lists(st.tuples(st.sampled_from([b"a", b"b", b"c"]), st.floats(0, 5)), max_size=40), st.floats(0.1, 4))
def test_deduper_matches_a_simple_model(events, window):
    dedupe = QrDeduper(window=window)
    now = 0.0
    last: dict[bytes, float] = {}
    for payload, gap in events:
        now += gap
        expected = payload not in last or now - last[payload] > window
        last[payload] = now
        assert dedupe.is_new(payload, now) == expected
