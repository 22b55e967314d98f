"""Document capture: page corners against the simulator's truth, upright output, rejections."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera.document import (
    MAX_JPEG_BYTES,
    DocReason,
    DocumentScanner,
    encode_within,
    lines_run_vertically,
    order_corners,
)
from drivers.sim.camera import load_truth
from drivers.sim.camera.scenes import page_image


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
