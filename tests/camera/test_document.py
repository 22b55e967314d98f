"""Document capture: page corners against the simulator's truth, upright output, rejections."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from drivers.camera.document import (
    MAX_JPEG_BYTES,
    DocReason,
    DocRules,
    DocumentScanner,
    encode_within,
    lines_run_vertically,
    order_corners,
    page_shape,
    rectify,
)
from drivers.sim.camera import load_truth
from drivers.sim.camera.scenes import noisy, page_image, tilted_scene


@pytest.fixture(scope="module")
def scanner() -> DocumentScanner:
    return DocumentScanner()


def test_document_scene_gives_an_upright_page_at_the_true_corners(scanner, videos, frames_of):
    path = videos("document")
    truth = np.array(load_truth(path)["scenes"][0]["document_corners"])
    result = scanner.scan(frames_of(path, 1)[0])
    assert result.reason is DocReason.OK, result.figures
    assert np.abs(result.corners - truth).max() < 3.0  # pixels
    page = result.page
    assert page.shape[0] > page.shape[1]  # portrait
    assert abs(page.shape[0] / page.shape[1] - 297 / 210) < 0.03
    assert page.shape[1] >= 1240
    # upright, not mirrored or upside down: it matches the page the simulator printed
    original = cv2.cvtColor(page_image(), cv2.COLOR_BGR2GRAY)
    grey = cv2.resize(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), original.shape[::-1])
    upright = cv2.matchTemplate(grey, original, cv2.TM_CCOEFF_NORMED)[0, 0]
    flipped = cv2.matchTemplate(cv2.rotate(grey, cv2.ROTATE_180), original, cv2.TM_CCOEFF_NORMED)[0, 0]
    assert upright > 0.5 and upright > flipped + 0.3
    assert not lines_run_vertically(grey)
    assert abs(result.figures["skew_deg"]) <= 0.5
    assert 0 < len(result.jpeg) <= MAX_JPEG_BYTES
    decoded = cv2.imdecode(np.frombuffer(result.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == page.shape


def test_a_page_lying_sideways_comes_out_upright(scanner):
    original = page_image(600)
    sideways = cv2.rotate(original, cv2.ROTATE_90_COUNTERCLOCKWISE)
    desk = np.full((900, 1200, 3), (45, 75, 110), np.uint8)
    y, x = (900 - sideways.shape[0]) // 2, (1200 - sideways.shape[1]) // 2
    desk[y : y + sideways.shape[0], x : x + sideways.shape[1]] = sideways
    result = scanner.scan(desk)
    assert result.ok and result.page.shape[0] > result.page.shape[1]


def test_skewed_text_is_levelled(scanner):
    page = page_image(700)
    tilted = cv2.warpAffine(
        page, cv2.getRotationMatrix2D((350, 495), 2.0, 1.0), page.shape[1::-1], borderValue=(246, 244, 238)
    )
    desk = np.full((1100, 900, 3), (45, 75, 110), np.uint8)
    desk[50:1040, 100:800] = tilted
    result = scanner.scan(desk)
    assert result.ok
    assert result.figures["skew_deg"] == pytest.approx(-2.0, abs=0.5)


@pytest.mark.parametrize(
    ("scene", "reason"),
    [
        ("document_blurry", DocReason.BLURRY),
        ("document_glare", DocReason.GLARE),
        ("document_small", DocReason.PAGE_TOO_SMALL),
        ("empty_desk", DocReason.NO_PAGE),
        ("black", DocReason.NO_PAGE),
        ("face", DocReason.NO_PAGE),
    ],
)
def test_illegible_frames_are_rejected_with_a_reason(scanner, videos, frames_of, scene, reason):
    result = scanner.scan(frames_of(videos(scene), 1)[0])
    assert result.reason is reason, result.figures
    assert result.jpeg == b""


def test_jpeg_stays_within_the_limit_even_for_noise():
    noise = np.random.default_rng(0).integers(0, 256, (2000, 1500, 3), dtype=np.uint8)
    data = encode_within(noise, limit=300_000)
    assert len(data) <= 300_000
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is not None


QUAD = np.array([[100, 80], [500, 120], [480, 600], [90, 560]], np.float32)


@given(st.permutations(range(4)))
def test_corner_order_does_not_depend_on_input_order(perm):
    assert np.array_equal(order_corners(QUAD[list(perm)]), QUAD)


@given(
    st.floats(-40, 40),
    st.floats(0.5, 2.0),
    st.tuples(st.floats(-300, 300), st.floats(-300, 300)),
)
def test_corner_order_is_clockwise_from_top_left_for_any_placement(angle, scale, shift):
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    quad = (QUAD - QUAD.mean(axis=0)) * scale @ rot.T + np.array(shift, np.float32)
    for perm in itertools.islice(itertools.permutations(range(4)), 0, 24, 5):
        ordered = order_corners(quad[list(perm)])
        # clockwise in image coordinates: positive signed area with y pointing down
        x, y = ordered[:, 0], ordered[:, 1]
        assert 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) > 0
        assert np.argmin(ordered.sum(axis=1)) == 0


# ---- the page's real proportions (drivers/camera/document.py page_shape; docs/camera.md "True proportions")

TILT_SIZE = (1280, 960)


def _scan_tilted(scanner: DocumentScanner, **view) -> tuple:
    scene = tilted_scene(TILT_SIZE, **view)
    corners = np.array(scene.truth["document_corners"])
    assert corners[:, 0].min() > 2 and corners[:, 0].max() < TILT_SIZE[0] - 2  # wholly in the picture
    assert corners[:, 1].min() > 2 and corners[:, 1].max() < TILT_SIZE[1] - 2
    result = scanner.scan(noisy(scene, np.random.default_rng(3)))
    assert result.reason is DocReason.OK, result.figures
    return result, scene


@pytest.mark.parametrize("landscape", [False, True], ids=["portrait", "landscape"])
@pytest.mark.parametrize(("tilt", "turn"), [(25, 15), (40, -8), (55, 6), (45, 0), (60, 0)])
def test_a_strongly_tilted_a4_page_keeps_its_proportions(scanner, landscape, tilt, turn):
    # the old warp to the measured side lengths gave 1.17 here; turn 0 leaves two edges parallel in the
    # picture, so the focal length comes from DocRules.fov_deg (the simulated camera's, 60°)
    result, scene = _scan_tilted(scanner, landscape=landscape, tilt=tilt, turn=turn, fill=0.8)
    height, width = result.page.shape[:2]
    assert height > width  # the text reads upright: a page lying sideways is turned
    assert height / width == pytest.approx(297 / 210, abs=0.03)
    if turn:  # both pairs of edges converge: the corners alone give the camera's focal length
        shape = page_shape(np.array(scene.truth["document_corners"]), TILT_SIZE)
        assert shape.method == "projective"
        assert shape.focal == pytest.approx(scene.truth["focal_px"], rel=0.02)


@pytest.mark.parametrize(("tilt", "turn", "landscape"), [(35, -8, False), (50, 0, False), (40, 10, True)])
def test_an_id_card_keeps_its_proportions(scanner, tilt, turn, landscape):
    result, _ = _scan_tilted(scanner, kind="id_card", landscape=landscape, tilt=tilt, turn=turn, fill=0.8)
    height, width = result.page.shape[:2]
    assert max(height, width) / min(height, width) == pytest.approx(85.6 / 54, abs=0.05)


def test_a_page_seen_square_on_keeps_its_measured_proportions():
    scanner = DocumentScanner()
    result, _ = _scan_tilted(scanner, tilt=0, turn=0, fill=0.8)
    assert result.page.shape[0] / result.page.shape[1] == pytest.approx(297 / 210, abs=0.03)
    # a page of no known format, square on: its own proportions, not the nearest format's
    corners = np.array([[100, 100], [700, 100], [700, 580], [100, 580]], np.float32)
    assert page_shape(corners, (800, 600)).aspect == pytest.approx(480 / 600, rel=1e-6)
    assert page_shape(corners, (800, 600)).method == "affine"


def test_the_scanner_learns_the_focal_length_for_pages_squared_up_to_the_camera():
    # the installer left fov_deg at a wrong 75°: a page squared up to the camera (two edges parallel in the
    # picture) has only that to go by, until turned pages have told the scanner the camera's real focal length
    scanner = DocumentScanner(DocRules(fov_deg=75))
    square = tilted_scene(TILT_SIZE, tilt=50, turn=0, fill=0.55).truth["document_corners"]
    frame = np.zeros((TILT_SIZE[1], TILT_SIZE[0], 3), np.uint8)
    assert scanner.page_shape(np.array(square), frame).format != "a_series"
    for turn in (5, -7, 9):
        turned = tilted_scene(TILT_SIZE, tilt=45, turn=turn, fill=0.8).truth["document_corners"]
        assert scanner.page_shape(np.array(turned), frame).method == "projective"
    assert scanner.learnt_focal == pytest.approx(0.5 / np.tan(np.radians(30)), rel=0.01)
    assert scanner.page_shape(np.array(square), frame).aspect == pytest.approx(297 / 210, rel=0.005)


def _view(
    rect_w: float,
    ratio: float,
    tilt: float,
    turn: float,
    yaw: float,
    focal: float,
    dist: float,
    shift: tuple[float, float],
) -> np.ndarray | None:
    """Corners of a rect_w × rect_h rectangle under a pinhole camera (1280 × 960, principal point at the
    centre), or None when the view is not a plausible photo (a corner behind or out of the picture)."""
    rect_h = rect_w * ratio
    local = np.array([[-rect_w, -rect_h], [rect_w, -rect_h], [rect_w, rect_h], [-rect_w, rect_h]]) / 2
    a, t, y = np.radians([turn, tilt, yaw])
    spin = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    pitch = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    pan = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    points = np.c_[local, np.zeros(4)] @ spin.T @ pitch.T @ pan.T + np.array([shift[0], shift[1], dist])
    if (points[:, 2] < 0.2).any():
        return None
    image = focal * points[:, :2] / points[:, 2:] + np.array([640, 480])
    inside = (image > 0).all() and (image[:, 0] < 1280).all() and (image[:, 1] < 960).all()
    return image if inside and cv2.contourArea(image.astype(np.float32)) > 0.02 * 1280 * 960 else None


FORMATS = [np.sqrt(2), 85.6 / 54, 143 / 105]


def _far_from_formats(ratio: float) -> bool:
    return all(abs(np.log(ratio / known)) > 0.08 for known in FORMATS)


POSE = {
    "rect_w": st.floats(0.5, 1.0),
    # a known format, or proportions far enough from every one that snapping leaves them alone
    "ratio": st.sampled_from(FORMATS) | st.floats(1.0, 2.0).filter(_far_from_formats),
    "tilt": st.floats(-65, 65),
    "turn": st.floats(-180, 180),
    "yaw": st.floats(-30, 30),
    "focal": st.floats(600, 2500),
    "dist": st.floats(1.0, 4.0),
    "shift": st.tuples(st.floats(-0.4, 0.4), st.floats(-0.4, 0.4)),
}


@settings(max_examples=300, deadline=None)
@given(**POSE)
def test_any_view_of_a_rectangle_gives_its_aspect_when_the_focal_length_is_known(**pose):
    image = _view(**pose)
    assume(image is not None)
    corners = order_corners(image.astype(np.float32))
    # corners are TL TR BR BL in the picture: the rectangle's width may lie along either of its sides
    with np.errstate(all="raise"):
        shape = page_shape(corners, (1280, 960), focal=pose["focal"])
    truth = {pose["ratio"], 1 / pose["ratio"]}
    assert min(abs(shape.aspect / ratio - 1) for ratio in truth) < 0.02, shape


@settings(max_examples=300, deadline=None)
@given(**POSE | {"tilt": st.floats(30, 60), "turn": st.floats(15, 75), "yaw": st.just(0.0), "dist": st.floats(1, 2)})
def test_a_rectangle_turned_and_tilted_gives_its_aspect_and_the_focal_length_without_configuration(**pose):
    # the kiosk's view: the camera pitched over the desk, the page turned on it, so no edge pair is parallel
    image = _view(**pose)
    assume(image is not None)
    with np.errstate(all="raise"):
        shape = page_shape(order_corners(image.astype(np.float32)), (1280, 960))
    truth = {pose["ratio"], 1 / pose["ratio"]}
    assert min(abs(shape.aspect / ratio - 1) for ratio in truth) < 0.02, shape
    assert shape.method == "projective" and shape.focal == pytest.approx(pose["focal"], rel=1e-3)


coordinate = st.floats(-1e4, 1e4, allow_nan=False) | st.sampled_from([0.0, 100.0, 1e-9])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(coordinate, coordinate), min_size=4, max_size=4), st.floats(1, 179))
def test_any_four_points_give_a_finite_aspect_without_a_division_by_zero(points, fov):
    corners = np.array(points, np.float32)
    with np.errstate(all="raise"):
        shape = page_shape(corners, (1280, 960), DocRules(fov_deg=fov))
    assert np.isfinite(shape.aspect) and 1 / 6 <= shape.aspect <= 6


@pytest.mark.parametrize(
    "corners",
    [
        [[0, 0], [0, 0], [0, 0], [0, 0]],  # one point
        [[0, 0], [100, 0], [200, 0], [300, 0]],  # a line
        [[0, 0], [100, 0], [100, 100], [100, 100]],  # a triangle
        [[0, 0], [100, 100], [100, 0], [0, 100]],  # crossed
        [[np.nan, 0], [1, 0], [1, 1], [0, 1]],
    ],
)
def test_degenerate_outlines_give_a_finite_aspect_and_a_picture(corners):
    corners = np.array(corners, np.float32)
    with np.errstate(all="raise"):
        shape = page_shape(corners, (640, 480))
    assert shape.method == "measured" and np.isfinite(shape.aspect)
    if np.isfinite(corners).all():
        page = rectify(np.zeros((480, 640, 3), np.uint8), corners, shape.aspect)
        assert page.shape[0] >= 2 and page.shape[1] >= 2


def test_the_kiosk_configuration_sets_the_camera_field_of_view(tmp_path):
    from kiosk.config import load_settings
    from kiosk.config.schema import CameraDevice, DevicesSection
    from kiosk.hardware import Hardware

    settings = load_settings().settings
    assert settings.devices.camera.fov_deg == 60.0  # the simulated camera's
    camera = CameraDevice(source=str(tmp_path / "camera.avi"), fov_deg=75)
    settings = settings.model_copy(update={"devices": DevicesSection(camera=camera)})
    device = Hardware(settings, tmp_path)._camera()
    assert device.config.doc_rules.fov_deg == 75
    with pytest.raises(ValueError, match="fov_deg"):
        CameraDevice(fov_deg=170)
