"""Simulator videos: scenes written with OpenCV's VideoWriter, read back by the driver through VideoCapture.

``make_video(path, scenes=[…])`` writes one video (each scene held for ``seconds``) and its ground
truth as JSON beside it (``clip.avi`` → ``clip.json``), and returns the truth. The kiosk demo picks
a scene with ``scene_video(dir, "qr")``: one short looping video per scene.

Motion-JPEG in AVI: OpenCV's built-in writer always has it (no FFmpeg codec lottery), it decodes
fast, and each frame is a JPEG, so the driver sees compression artefacts like a USB camera's MJPG.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from drivers.sim.camera.scenes import SCENES, noisy, render

DEFAULT_SCENES = ("face", "document", "qr")


def scene_names() -> list[str]:
    return list(SCENES)


def truth_path(video: Path | str) -> Path:
    return Path(video).with_suffix(".json")


def make_video(
    path: Path | str,
    scenes: Sequence[str] = DEFAULT_SCENES,
    fps: float = 15.0,
    size: tuple[int, int] = (640, 480),
    seconds: float = 1.0,
    seed: int = 1,
) -> dict[str, Any]:
    """Write the video and ``<path>.json``; returns the ground truth (frame ranges per scene)."""
    path = Path(path)
    if not scenes:
        raise ValueError("at least one scene is needed")
    rendered = [render(name, size) for name in scenes]  # raises on an unknown name before any file exists
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size, True)
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write MJPG video to {path}")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 90)
    rng = np.random.default_rng(seed)
    per_scene = max(1, round(seconds * fps))
    truth: dict[str, Any] = {"fps": fps, "size": list(size), "codec": "MJPG", "frames": 0, "scenes": []}
    try:
        for scene in rendered:
            start = truth["frames"]
            for _ in range(per_scene):
                writer.write(noisy(scene, rng))
            truth["frames"] += per_scene
            truth["scenes"].append({"name": scene.name, "first_frame": start, "last_frame": start + per_scene - 1,
                                    **scene.truth})
    finally:
        writer.release()
    truth_path(path).write_text(json.dumps(truth, ensure_ascii=False, indent=2), encoding="utf-8")
    return truth


def scene_video(directory: Path | str, scene: str, size: tuple[int, int] = (1280, 720), fps: float = 15.0) -> Path:
    """One looping video of ``scene`` in ``directory`` (made once, reused): a camera source for demos."""
    path = Path(directory) / f"camera-{scene}-{size[0]}x{size[1]}.avi"
    if not path.is_file() or not truth_path(path).is_file():
        make_video(path, [scene], fps=fps, size=size, seconds=2.0)
    return path


def load_truth(video: Path | str) -> dict[str, Any]:
    return json.loads(truth_path(video).read_text(encoding="utf-8"))
