"""Camera source strings: index, path or URL; credentials never shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera.source import SourceKind, parse_source


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("0", SourceKind.INDEX, 0),
        (" 2 ", SourceKind.INDEX, 2),
        (3, SourceKind.INDEX, 3),
        ("/dev/video2", SourceKind.PATH, "/dev/video2"),
        ("clips/face.avi", SourceKind.PATH, "clips/face.avi"),
        ("rtsp://cam.local:554/stream1", SourceKind.URL, "rtsp://cam.local:554/stream1"),
        ("http://10.0.0.5/mjpg", SourceKind.URL, "http://10.0.0.5/mjpg"),
    ],
)
def test_sources_parse_by_shape(text, kind, value):
    source = parse_source(text)
    assert (source.kind, source.value) == (kind, value)


@pytest.mark.parametrize("bad", ["", "   ", "-1", -3])
def test_empty_and_negative_sources_are_refused(bad):
    with pytest.raises(ValueError):
        parse_source(bad)


def test_files_are_paced_devices_and_streams_are_live():
    assert not parse_source("clip.avi").is_live
    assert parse_source("/dev/video0").is_live
    assert parse_source("0").is_live
    assert parse_source("rtsp://h/s").is_live


def test_url_password_is_masked_for_display():
    source = parse_source("rtsp://admin:s3cret@192.168.1.20:554/h264")
    assert source.display == "rtsp://admin:***@192.168.1.20:554/h264"
    assert "s3cret" not in source.display
    assert parse_source("rtsp://host/s").display == "rtsp://host/s"


@given(st.integers(min_value=0, max_value=10**6))
def test_any_index_round_trips(index):
    assert parse_source(str(index)) == parse_source(index)
    assert parse_source(str(index)).value == index


@given(st.text(min_size=1).filter(lambda s: s.strip()))
def test_any_text_parses_or_refuses_cleanly(text):
    try:
        source = parse_source(text)
    except ValueError:
        return
    assert source.kind in SourceKind
    assert source.display  # something printable for the log


@given(
    st.sampled_from(["rtsp", "http", "https"]),
    st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True),
)
def test_masked_display_never_contains_the_password(scheme, user, password):
    source = parse_source(f"{scheme}://{user}:{password}@cam.example:8554/live")
    assert source.kind is SourceKind.URL
    assert f":{password}@" not in source.display
