"""Simulator videos for the camera tests: made once per session in a tmp dir, small (640×480, 15 fps)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.camera import Camera, CameraConfig
from drivers.sim.camera import make_video

SIZE = (640, 480)


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``videos("qr")`` → path of a 1-second video of that scene; ``videos("black+face")`` chains scenes."""
    folder = tmp_path_factory.mktemp("camera-sim")
    made: dict[str, Path] = {}

    def get(spec: str) -> Path:
        if spec not in made:
            path = folder / f"{spec.replace('+', '-')}.avi"
            make_video(path, spec.split("+"), fps=15, size=SIZE, seconds=1.0)
            made[spec] = path
        return made[spec]

    return get


def _frames_of(path: Path, count: int = 3) -> list[np.ndarray]:
    """Frames read back through VideoCapture, as the driver reads them."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < count:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    assert frames, f"no frames in {path}"
    return frames


def _wait_for(predicate: Callable[[], bool], timeout: float = 8.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


@pytest.fixture
def frames_of() -> Callable[..., list[np.ndarray]]:
    return _frames_of


@pytest.fixture
def wait_for() -> Callable[..., None]:
    return _wait_for


@pytest.fixture
def camera_factory() -> Iterator[Callable[..., Camera]]:
    """Cameras with quick reconnects; all closed after the test."""
    opened: list[Camera] = []

    def make(source: str, capture_factory=None, **config) -> Camera:
        config.setdefault("reconnect_initial", 0.05)
        config.setdefault("reconnect_max", 0.2)
        camera = Camera(CameraConfig(source=source, **config), capture_factory=capture_factory)
        opened.append(camera)
        camera.open()
        return camera

    yield make
    for camera in opened:
        camera.close()
