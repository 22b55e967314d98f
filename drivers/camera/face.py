"""Face guidance with OpenCV's Haar cascades: one face, centred, close enough, sharp and well lit.

Each frame gets a :class:`Guidance` with one reason code the UI turns into a prompt ("move closer",
"only one person please" …). :class:`BestFace` keeps the best acceptable frame of a capture so the
photo sent for the platform's real-name check is the sharpest, most centred one, not the first.
Detection runs on a downscaled grey copy: Haar cost grows with pixel count, and a face close
enough to verify is large.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

DEFAULT_CASCADE = "haarcascade_frontalface_alt2.xml"


class FaceReason(enum.StrEnum):
    OK = "ok"
    NO_FACE = "no_face"
    MANY_FACES = "many_faces"
    OFF_CENTRE = "off_centre"
    TOO_FAR = "too_far"
    TOO_CLOSE = "too_close"
    BLURRY = "blurry"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"


@dataclass(frozen=True)
class FaceRules:
    detect_width: int = 640  # frames are downscaled to this width for the cascade
    min_neighbors: int = 3  # 3 keeps faces of ~120 px found in every frame; the rules below weed out strays
    min_width: float = 0.25  # face width / frame width: close enough for a verification photo
    max_width: float = 0.65
    max_offset: float = 0.15  # face centre off the frame centre, as a fraction of the frame size
    min_sharpness: float = 60.0  # variance of the Laplacian over the face, grey levels²
    min_brightness: float = 70.0  # mean grey level over the face
    max_brightness: float = 210.0


@dataclass(frozen=True)
class Guidance:
    reason: FaceReason
    faces: tuple[tuple[int, int, int, int], ...] = ()  # x, y, w, h in frame pixels
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason is FaceReason.OK

    @property
    def face(self) -> tuple[int, int, int, int] | None:
        return self.faces[0] if len(self.faces) == 1 else None

    @property
    def score(self) -> float:
        """Higher is better among acceptable frames: sharp and centred."""
        return self.figures.get("sharpness", 0.0) * (1.0 - self.figures.get("offset", 0.0))

    def as_dict(self) -> dict:
        return {"reason": str(self.reason), "faces": [list(f) for f in self.faces], "figures": self.figures}


def load_cascade(name_or_path: str = DEFAULT_CASCADE) -> cv2.CascadeClassifier | None:
    """A cascade shipped with OpenCV (by file name) or from a path; None when it will not load."""
    path = Path(name_or_path)
    if not path.is_file():
        path = Path(cv2.data.haarcascades) / name_or_path  # type: ignore[attr-defined]  # not in OpenCV's stubs
    cascade = cv2.CascadeClassifier(str(path)) if path.is_file() else None
    if cascade is None or cascade.empty():
        return None
    return cascade


def sharpness(grey: np.ndarray, side: int = 160) -> float:
    """Laplacian variance at a fixed size, so near and far faces are judged alike (and sensor noise
    is averaged down before it can pass for detail)."""
    grey = cv2.resize(grey, (side, side), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


class FaceGuide:
    def __init__(self, cascade: cv2.CascadeClassifier, rules: FaceRules | None = None) -> None:
        self.cascade = cascade
        self.rules = rules or FaceRules()

    def detect(self, frame: np.ndarray) -> list[tuple[int, int, int, int]]:
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        scale = min(1.0, self.rules.detect_width / grey.shape[1])
        small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else grey
        small = cv2.equalizeHist(small)
        min_side = max(24, int(small.shape[1] * self.rules.min_width * 0.6))
        found = self.cascade.detectMultiScale(
            small, scaleFactor=1.1, minNeighbors=self.rules.min_neighbors, minSize=(min_side, min_side)
        )
        return [tuple(round(v / scale) for v in box) for box in found]

    def assess(self, frame: np.ndarray) -> Guidance:
        rules = self.rules
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        frame_brightness = float(grey.mean())
        faces = tuple(self.detect(grey))
        if not faces:
            # a covered lens or a dark room finds no face: say why, the prompt differs
            if frame_brightness < rules.min_brightness * 0.5:
                return Guidance(FaceReason.TOO_DARK, figures={"brightness": frame_brightness})
            return Guidance(FaceReason.NO_FACE, figures={"brightness": frame_brightness})
        if len(faces) > 1:
            return Guidance(FaceReason.MANY_FACES, faces)
        x, y, w, h = faces[0]
        height, width = grey.shape
        roi = grey[y : y + h, x : x + w]
        figures = {
            "width": w / width,
            "offset": max(abs(x + w / 2 - width / 2) / width, abs(y + h / 2 - height / 2) / height),
            "sharpness": sharpness(roi),
            "brightness": float(roi.mean()),
        }
        figures = {k: round(v, 3) for k, v in figures.items()}
        if figures["brightness"] < rules.min_brightness:
            reason = FaceReason.TOO_DARK
        elif figures["brightness"] > rules.max_brightness:
            reason = FaceReason.TOO_BRIGHT
        elif figures["width"] < rules.min_width:
            reason = FaceReason.TOO_FAR
        elif figures["width"] > rules.max_width:
            reason = FaceReason.TOO_CLOSE
        elif figures["offset"] > rules.max_offset:
            reason = FaceReason.OFF_CENTRE
        elif figures["sharpness"] < rules.min_sharpness:
            reason = FaceReason.BLURRY
        else:
            reason = FaceReason.OK
        return Guidance(reason, faces, figures)


def face_crop(frame: np.ndarray, box: tuple[int, int, int, int], margin: float = 0.4) -> np.ndarray:
    """The face with room around it (hair, chin, ears), as ID photos are framed; clipped to the frame."""
    x, y, w, h = box
    mx, my = int(w * margin), int(h * margin)
    top, bottom = max(0, y - my), min(frame.shape[0], y + h + int(my * 1.3))
    left, right = max(0, x - mx), min(frame.shape[1], x + w + mx)
    return frame[top:bottom, left:right].copy()


@dataclass
class FacePhoto:
    frame_jpeg: bytes
    crop_jpeg: bytes
    guidance: Guidance

    def __repr__(self) -> str:  # a face photo is personal data
        return f"FacePhoto(crop={len(self.crop_jpeg)} B, score={self.guidance.score:.0f})"


class BestFace:
    """Keeps the best acceptable frame seen so far."""

    def __init__(self) -> None:
        self.frame: np.ndarray | None = None
        self.guidance: Guidance | None = None
        self.accepted = 0

    def offer(self, frame: np.ndarray, guidance: Guidance) -> None:
        if not guidance.ok:
            return
        self.accepted += 1
        if self.guidance is None or guidance.score > self.guidance.score:
            self.frame, self.guidance = frame, guidance

    def photo(self, quality: int = 92) -> FacePhoto | None:
        if self.frame is None or self.guidance is None or self.guidance.face is None:
            return None
        crop = face_crop(self.frame, self.guidance.face)
        return FacePhoto(encode_jpeg(self.frame, quality), encode_jpeg(crop, quality), self.guidance)


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()
