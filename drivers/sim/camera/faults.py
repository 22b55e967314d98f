"""Camera faults: a camera that is not there, and one unplugged in the middle of a stream.

Black frames are a scene (``black``). For unplugging, :class:`UnplugRig` stands where the USB
cable would be: the driver gets it as its capture factory and sees exactly what OpenCV shows
for a pulled camera — ``read()`` fails, and opening again fails until it is plugged back in.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import cv2


def missing_source(directory: Path | str) -> str:
    """A source path where no camera (video) is, yet; write a video there later to 'plug it in'."""
    return str(Path(directory) / "no-camera-here.avi")


class UnplugRig:
    """Plays ``video`` to the driver like a USB camera — paced at the video's frame rate, looping,
    never ending — until unplugged (by hand, or after ``unplug_after`` frames).

    Give the driver a device source (an index such as ``"0"``) with ``capture_factory=rig.capture``.
    """

    def __init__(self, video: Path | str, unplug_after: int | None = None) -> None:
        self.video = str(video)
        self.unplug_after = unplug_after
        self.frames_served = 0
        self.opens = 0
        self._plugged = threading.Event()
        self._plugged.set()
        self.unplugged = threading.Event()  # set when the plug is pulled, for tests to wait on

    @property
    def plugged(self) -> bool:
        return self._plugged.is_set()

    def unplug(self) -> None:
        self._plugged.clear()
        self.unplugged.set()

    def replug(self) -> None:
        self.unplug_after = None
        self.unplugged.clear()
        self._plugged.set()

    def capture(self, _source: Any) -> _RigCapture:
        """The driver's capture factory."""
        self.opens += 1
        return _RigCapture(self)


class _RigCapture:
    def __init__(self, rig: UnplugRig) -> None:
        self._rig = rig
        self._cap = cv2.VideoCapture(rig.video) if rig.plugged else None
        fps = self._cap.get(cv2.CAP_PROP_FPS) if self._cap is not None else 0.0
        self._period = 1.0 / fps if fps and fps > 0 else 1 / 15
        self._next = time.monotonic()

    def isOpened(self) -> bool:
        return self._cap is not None and self._cap.isOpened() and self._rig.plugged

    def read(self) -> tuple[bool, Any]:
        rig = self._rig
        if rig.unplug_after is not None and rig.frames_served >= rig.unplug_after:
            rig.unplug()
        if self._cap is None or not rig.plugged:
            time.sleep(self._period)  # a pulled camera's read() blocks a while before failing
            return False, None
        self._next += self._period
        time.sleep(max(0.0, self._next - time.monotonic()))
        ok, image = self._cap.read()
        if not ok:  # a camera does not run out of frames: loop the video
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._cap.read()
        if ok:
            rig.frames_served += 1
        return ok, image

    def set(self, prop: int, value: float) -> bool:
        return bool(self._cap is not None and self._cap.set(prop, value))

    def get(self, prop: int) -> float:
        return float(self._cap.get(prop)) if self._cap is not None else 0.0

    def release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
