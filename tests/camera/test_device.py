"""The camera as a contract device on simulator videos: commands, preview, and every fault ending in a
completion code and recovery."""

from __future__ import annotations

import threading

import numpy as np

from drivers.contract import Code, DeviceState
from drivers.sim.camera import QR_PAYLOAD_CN, UnplugRig, make_video, missing_source

WAIT = 60  # seconds a command may take to complete on a loaded machine: its own timeout is what is tested


def test_qr_scan_reports_the_chinese_payload_once_as_event_and_value(camera_factory, videos):
    camera = camera_factory(str(videos("qr")))
    events = []
    camera.subscribe(events.append)
    done = camera.scan_qr(timeout=5).result(WAIT)
    assert done.ok, done.detail
    assert [c.text for c in done.value] == [QR_PAYLOAD_CN]
    qr_events = [e for e in events if e.kind == "qr"]
    assert [e.payload["text"] for e in qr_events] == [QR_PAYLOAD_CN]
    assert len(qr_events[0].payload["corners"]) == 4
    assert camera.counters.snapshot()["qr_decoded"] == 1


def test_continuous_scan_deduplicates_and_ends_with_every_code(camera_factory, videos):
    camera = camera_factory(str(videos("qr+qr_url")))
    events = []
    camera.subscribe(events.append)
    done = camera.scan_qr(timeout=2.5, until_first=False).result(WAIT)
    assert done.ok, done.detail
    texts = sorted(c.text for c in done.value)
    assert len(texts) == 2 and QR_PAYLOAD_CN in texts
    # the video loops every 2 s, each code is on screen for 1 s: within the 3 s window, one event each
    assert len([e for e in events if e.kind == "qr"]) == 2


def test_face_capture_guides_and_returns_a_photo(camera_factory, videos):
    camera = camera_factory(str(videos("face")))
    events = []
    camera.subscribe(events.append)
    done = camera.capture_face(timeout=5).result(WAIT)
    assert done.ok, done.detail
    assert done.value.crop_jpeg[:2] == b"\xff\xd8"
    reasons = [e.payload["reason"] for e in events if e.kind == "face_guidance"]
    assert reasons and reasons[-1] == "ok"
    assert camera.capabilities()["face_detector"] is True
    assert camera.capabilities()["face_matcher"] is False
    reference = np.zeros((126, 102, 3), np.uint8)
    assert camera.match_face(done.value, reference).result(WAIT).code is Code.UNSUPPORTED


def test_no_face_in_the_document_scene_times_out_with_the_reason(camera_factory, videos):
    camera = camera_factory(str(videos("document")))
    done = camera.capture_face(timeout=0.6).result(WAIT)
    assert done.code is Code.TIMEOUT
    assert "no_face" in done.detail


def test_document_capture_returns_the_page(camera_factory, videos):
    camera = camera_factory(str(videos("document")))
    done = camera.capture_document(timeout=5).result(WAIT)
    assert done.ok, done.detail
    assert done.value.ok and 0 < len(done.value.jpeg) <= 1024 * 1024


def test_blurry_document_times_out_saying_why(camera_factory, videos):
    camera = camera_factory(str(videos("document_blurry")))
    done = camera.capture_document(timeout=0.6).result(WAIT)
    assert done.code is Code.TIMEOUT and "blurry" in done.detail


def test_preview_never_blocks_and_frames_keep_coming_while_analysing(camera_factory, videos, wait_for):
    camera = camera_factory(str(videos("face")))
    assert camera.latest_frame() is None or camera.latest_frame().image.shape == (480, 640, 3)
    seen: list[int] = []
    got = threading.Event()

    def on_frame(frame):
        seen.append(frame.seq)
        got.set()

    unsubscribe = camera.subscribe_frames(on_frame)
    command = camera.scan_qr(timeout=1.0)  # analysis on the worker; nothing to find
    assert got.wait(3)
    wait_for(lambda: len(seen) >= 8)
    assert command.result(WAIT).code is Code.TIMEOUT
    unsubscribe()
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    frame = camera.latest_frame()
    assert frame is not None and frame.seq >= seen[-1]
    assert camera.counters.snapshot()["frames"] >= 8
    assert camera.preview_fps() > 0
    snap = camera.snapshot().result(WAIT)
    assert snap.ok and snap.value.seq > frame.seq


def test_cancel_ends_a_scan_with_cancelled(camera_factory, videos, wait_for):
    camera = camera_factory(str(videos("face")))
    wait_for(lambda: camera.status().state is DeviceState.ONLINE)
    command = camera.scan_qr(timeout=None)
    threading.Timer(0.2, command.cancel).start()
    assert command.result(WAIT).code is Code.CANCELLED


# -- faults -------------------------------------------------------------------------------------


def test_missing_camera_is_no_device_then_appears(camera_factory, tmp_path, wait_for):
    source = missing_source(tmp_path)
    camera = camera_factory(source)
    wait_for(lambda: camera.status().state is DeviceState.NO_DEVICE)
    assert camera.scan_qr(timeout=1).result(WAIT).code is Code.DEVICE_NOT_READY
    make_video(source, ["qr"], fps=15, size=(320, 240), seconds=0.5)
    wait_for(lambda: camera.status().state is DeviceState.ONLINE)
    assert camera.snapshot().result(WAIT).ok


def test_bad_index_is_no_device(camera_factory, wait_for):
    camera = camera_factory("97")  # no such /dev/video97
    wait_for(lambda: camera.status().state is DeviceState.NO_DEVICE)
    assert camera.snapshot(timeout=1).result(WAIT).code is Code.DEVICE_NOT_READY


def test_unplug_mid_command_ends_it_and_replug_recovers(camera_factory, videos, wait_for):
    rig = UnplugRig(videos("document"), unplug_after=10)
    camera = camera_factory("0", capture_factory=rig.capture)
    events = []
    camera.subscribe(events.append)
    done = camera.capture_face(timeout=10).result(WAIT)  # no face in the document: still running at the unplug
    assert done.code is Code.DEVICE_NOT_READY
    wait_for(lambda: camera.status().state is DeviceState.NO_DEVICE)
    assert camera.scan_qr(timeout=1).result(WAIT).code is Code.DEVICE_NOT_READY
    opens = rig.opens
    wait_for(lambda: rig.opens > opens + 1)  # retried in the background, failing while unplugged
    rig.replug()
    wait_for(lambda: camera.status().state is DeviceState.ONLINE)
    assert camera.capture_document(timeout=5).result(WAIT).ok
    states = [e.payload["state"] for e in events if e.kind == "status"]
    assert states.index("no_device") < len(states) - 1 and states[-1] == "online"
    assert camera.counters.snapshot()["connects"] >= 2


def test_unplug_while_idle_is_noticed_by_the_poll(camera_factory, videos, wait_for):
    rig = UnplugRig(videos("face"))
    camera = camera_factory("0", capture_factory=rig.capture)
    wait_for(lambda: camera.status().state is DeviceState.ONLINE)
    rig.unplug()
    wait_for(lambda: camera.status().state is DeviceState.NO_DEVICE)
    rig.replug()
    wait_for(lambda: camera.status().state is DeviceState.ONLINE)
    assert camera.capture_face(timeout=5).result(WAIT).ok


def test_black_frames_are_a_status_and_commands_time_out_saying_so(camera_factory, videos, wait_for):
    camera = camera_factory(str(videos("black")), black_after=0.2)
    wait_for(lambda: camera.status().state is DeviceState.USER_ERROR)
    assert camera.status().fields["signal"] == "black"
    done = camera.capture_face(timeout=0.5).result(WAIT)
    assert done.code is Code.TIMEOUT and "black" in done.detail and "too_dark" in done.detail


def test_picture_returning_after_black_frames_recovers(camera_factory, tmp_path, wait_for):
    path = tmp_path / "black-then-face.avi"
    make_video(path, ["black", "face"], fps=15, size=(640, 480), seconds=1.5)
    camera = camera_factory(str(path), black_after=0.3)
    events = []
    camera.subscribe(events.append)
    wait_for(lambda: camera.status().state is DeviceState.USER_ERROR)
    done = camera.capture_face(timeout=5).result(WAIT)
    assert done.ok, done.detail
    wait_for(lambda: camera.status().state is DeviceState.ONLINE)
    signals = [e.payload["changed"].get("signal") for e in events if e.kind == "status"]
    assert "black" in signals and signals[-1] == "ok"


def test_end_of_a_non_looping_stream_counts_as_unplugged_and_reconnects(camera_factory, tmp_path, wait_for):
    path = tmp_path / "short.avi"
    make_video(path, ["qr"], fps=15, size=(320, 240), seconds=0.3)
    camera = camera_factory(str(path), loop_files=False)
    wait_for(lambda: camera.counters.snapshot().get("connects", 0) >= 2)
    assert camera.snapshot().result(WAIT).ok


def test_closed_camera_finishes_queued_commands(camera_factory, videos, wait_for):
    camera = camera_factory(str(videos("document")))
    first = camera.capture_face(timeout=0.5)
    later = [camera.scan_qr(timeout=0.5) for _ in range(3)]
    camera.close()
    # exactly one completion each: run to their end or cancelled by the close
    assert first.result(WAIT).code in (Code.CANCELLED, Code.TIMEOUT)
    assert all(c.result(WAIT).code in (Code.CANCELLED, Code.TIMEOUT) for c in later)
    # close() waits a bounded time for the worker; a loaded machine may let it finish after that
    wait_for(lambda: camera.status().state is DeviceState.OFFLINE, WAIT)
