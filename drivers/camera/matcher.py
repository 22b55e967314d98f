"""Optional local face matcher plug-in.

Matching a live face against the ID photo is the platform's job (domain notes §2); a site may still
configure a local model, e.g. to pre-check before sending. No model ships with Tongban: without a
configured, loadable model the camera reports no ``face_matcher`` capability.

A matcher turns a face (BGR frame + Haar box) into a feature vector and compares two vectors.
:class:`SFaceMatcher` uses OpenCV's SFace ONNX model (``face_recognition_sface_2021dec.onnx``
from the OpenCV model zoo); SFace expects a 112×112 aligned face. With a YuNet detector model
configured too, faces are aligned on their five landmarks; otherwise the Haar box is cropped and
resized, which costs accuracy, so the threshold should then be set higher by the site.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

log = logging.getLogger(__name__)

SFACE_COSINE_THRESHOLD = 0.363  # the OpenCV model zoo's value for SFace with aligned faces


class FaceMatcher(Protocol):
    name: str
    threshold: float

    def feature(self, frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray: ...

    def similarity(self, a: np.ndarray, b: np.ndarray) -> float: ...


@dataclass(frozen=True)
class MatcherConfig:
    model_path: str  # SFace ONNX
    detector_path: str | None = None  # optional YuNet ONNX for landmark alignment
    threshold: float = SFACE_COSINE_THRESHOLD


class MatcherLoadError(Exception):
    pass


class SFaceMatcher:
    name = "sface"

    def __init__(self, recognizer: cv2.FaceRecognizerSF, detector: cv2.FaceDetectorYN | None, threshold: float) -> None:
        self._recognizer = recognizer
        self._detector = detector
        self.threshold = threshold

    @classmethod
    def load(cls, config: MatcherConfig) -> SFaceMatcher:
        model = Path(config.model_path)
        if not model.is_file():
            raise MatcherLoadError(f"face matcher model not found: {model}")
        try:
            recognizer = cv2.FaceRecognizerSF.create(str(model), "")
        except cv2.error as error:
            raise MatcherLoadError(f"face matcher model did not load: {model.name}: {error.err}") from error
        detector = None
        if config.detector_path:
            path = Path(config.detector_path)
            if not path.is_file():
                raise MatcherLoadError(f"face landmark model not found: {path}")
            try:
                detector = cv2.FaceDetectorYN.create(str(path), "", (320, 320))
            except cv2.error as error:
                raise MatcherLoadError(f"face landmark model did not load: {path.name}: {error.err}") from error
        return cls(recognizer, detector, config.threshold)

    def _aligned(self, frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        if self._detector is not None:
            self._detector.setInputSize((frame.shape[1], frame.shape[0]))
            _, faces = self._detector.detect(frame)
            if faces is not None and len(faces):
                x, y, w, h = box
                centre = np.array([x + w / 2, y + h / 2])
                nearest = min(faces, key=lambda f: float(np.linalg.norm(f[:2] + f[2:4] / 2 - centre)))
                return self._recognizer.alignCrop(frame, nearest)
        x, y, w, h = box
        return cv2.resize(frame[y : y + h, x : x + w], (112, 112), interpolation=cv2.INTER_AREA)

    def feature(self, frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        return self._recognizer.feature(self._aligned(frame, box)).copy()

    def similarity(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(self._recognizer.match(a, b, cv2.FaceRecognizerSF_FR_COSINE))


def load_matcher(config: MatcherConfig | None) -> tuple[FaceMatcher | None, str]:
    """The configured matcher and a status detail; (None, reason) when none is configured or it fails."""
    if config is None:
        return None, "no face matcher configured"
    try:
        return SFaceMatcher.load(config), f"face matcher loaded: {Path(config.model_path).name}"
    except MatcherLoadError as error:
        log.warning("%s", error)
        return None, str(error)
