"""Face guidance on simulator frames, best-frame capture, and the optional matcher's loading."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drivers.camera.face import BestFace, FaceGuide, FaceReason, load_cascade
from drivers.camera.matcher import MatcherConfig, MatcherLoadError, SFaceMatcher, load_matcher
from drivers.sim.camera import load_truth


@pytest.fixture(scope="module")
def guide() -> FaceGuide:
    cascade = load_cascade()
    assert cascade is not None
    return FaceGuide(cascade)


def test_face_scene_gives_one_centred_face_near_the_drawn_one(guide, videos, frames_of):
    path = videos("face")
    x, y, w, h = load_truth(path)["scenes"][0]["face_box"]
    for frame in frames_of(path, 3):
        guidance = guide.assess(frame)
        assert guidance.reason is FaceReason.OK, guidance
        fx, fy, fw, fh = guidance.face
        # the cascade's square box sits inside the drawn head, around the eyes-nose-mouth
        assert abs((fx + fw / 2) - (x + w / 2)) < 0.1 * w
        assert y <= fy + fh / 2 <= y + h


def test_no_face_in_the_document_scene(guide, videos, frames_of):
    for frame in frames_of(videos("document"), 3):
        assert guide.detect(frame) == []
        assert guide.assess(frame).reason is FaceReason.NO_FACE


@pytest.mark.parametrize(
    ("scene", "reason"),
    [
        ("face_far", FaceReason.TOO_FAR),
        ("face_off_centre", FaceReason.OFF_CENTRE),
        ("face_blurry", FaceReason.BLURRY),
        ("two_faces", FaceReason.MANY_FACES),
        ("black", FaceReason.TOO_DARK),
        ("qr", FaceReason.NO_FACE),
    ],
)
def test_each_problem_has_its_reason(guide, videos, frames_of, scene, reason):
    assert guide.assess(frames_of(videos(scene), 1)[0]).reason is reason


def test_dark_and_bright_faces_are_refused(guide, videos, frames_of):
    frame = frames_of(videos("face"), 1)[0]
    dark = (frame * 0.4).astype(np.uint8)
    bright = cv2.convertScaleAbs(frame, alpha=1.0, beta=120)
    assert guide.assess(dark).reason in (FaceReason.TOO_DARK, FaceReason.NO_FACE)
    assert guide.assess(bright).reason in (FaceReason.TOO_BRIGHT, FaceReason.NO_FACE)


def test_best_face_keeps_the_sharpest_acceptable_frame(guide, videos, frames_of):
    best = BestFace()
    assert best.photo() is None
    blurry = frames_of(videos("face_blurry"), 1)[0]
    best.offer(blurry, guide.assess(blurry))
    assert best.accepted == 0
    frames = frames_of(videos("face"), 3)
    for frame in frames:
        best.offer(frame, guide.assess(frame))
    photo = best.photo()
    assert photo is not None and best.accepted == 3
    crop = cv2.imdecode(np.frombuffer(photo.crop_jpeg, np.uint8), cv2.IMREAD_COLOR)
    full = cv2.imdecode(np.frombuffer(photo.frame_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert full.shape == frames[0].shape
    assert guide.detect(crop), "the crop still holds the face"
    assert "jpeg" not in repr(photo).lower() or "B" in repr(photo)


def test_missing_cascade_means_no_detector():
    assert load_cascade("no_such_cascade.xml") is None


def test_no_matcher_configured_is_no_capability():
    matcher, detail = load_matcher(None)
    assert matcher is None and "no face matcher" in detail


def test_matcher_model_missing_or_broken_is_reported(tmp_path):
    matcher, detail = load_matcher(MatcherConfig(str(tmp_path / "sface.onnx")))
    assert matcher is None and "not found" in detail
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not an ONNX model")
    with pytest.raises(MatcherLoadError, match="did not load"):
        SFaceMatcher.load(MatcherConfig(str(broken)))
