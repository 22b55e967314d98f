"""QR codes in the live stream: decode with OpenCV, turn payload bytes into text, drop repeats.

A resident holds a phone in front of the camera for a second or two, so the same code is in
dozens of frames; :class:`QrDeduper` reports it once per window. Payloads may carry personal data
(electronic ID codes): log only their length.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

# Phones show UTF-8; older Chinese generators and some government QR codes use GB18030/GBK.
_ENCODINGS = ("utf-8", "gb18030")


def decode_payload(data: bytes) -> tuple[str, str]:
    """Payload bytes → (text, encoding). Tries UTF-8 (with or without BOM), then GB18030, then Latin-1,
    which never fails, so every code yields some text. A BOM is dropped only when UTF-8 is what decodes: in
    front of anything else it is part of the payload, which must encode back to the exact bytes."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


@dataclass(frozen=True)
class QrCode:
    text: str
    raw: bytes
    encoding: str
    corners: tuple[tuple[float, float], ...]  # 4 points in frame pixels, the detector's order

    @property
    def centre(self) -> tuple[float, float]:
        xs = [p[0] for p in self.corners]
        ys = [p[1] for p in self.corners]
        return (sum(xs) / len(xs), sum(ys) / len(ys))

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "encoding": self.encoding,
            "corners": [[round(x, 1), round(y, 1)] for x, y in self.corners],
        }

    def __repr__(self) -> str:  # payloads can be personal data
        return f"QrCode(len={len(self.raw)}, encoding={self.encoding})"


class QrReader:
    """Finds and decodes every QR code in a BGR or grey frame.

    ``QRCodeDetectorAruco`` is the default: about a third faster than ``QRCodeDetector`` on a 720p
    frame and more tolerant of perspective (phones are rarely held square to the lens).
    """

    def __init__(self, aruco: bool = True) -> None:
        self._detector = cv2.QRCodeDetectorAruco() if aruco else cv2.QRCodeDetector()

    def read(self, frame: np.ndarray) -> list[QrCode]:
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        try:
            found, payloads, points, _ = self._detector.detectAndDecodeBytesMulti(grey)
        except cv2.error:
            return []
        if not found or points is None:
            return []
        codes = []
        for raw, quad in zip(payloads, points, strict=False):
            if not raw:
                continue  # located but not decodable in this frame
            raw = bytes(raw)
            text, encoding = decode_payload(raw)
            corners = tuple((float(x), float(y)) for x, y in np.asarray(quad).reshape(-1, 2))
            codes.append(QrCode(text, raw, encoding, corners))
        return codes


class QrDeduper:
    """Reports a payload once, then stays quiet while it keeps being seen within ``window`` seconds.

    The window slides: a code held up for ten seconds is one event; shown again after being away
    for longer than the window, it is a new event.
    """

    def __init__(self, window: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._last_seen: dict[bytes, float] = {}

    def is_new(self, raw: bytes, now: float | None = None) -> bool:
        now = self._clock() if now is None else now
        last = self._last_seen.get(raw)
        self._last_seen[raw] = now
        self._expire(now)
        return last is None or now - last > self.window

    def _expire(self, now: float) -> None:
        stale = [key for key, seen in self._last_seen.items() if now - seen > self.window]
        for key in stale:
            del self._last_seen[key]

    def clear(self) -> None:
        self._last_seen.clear()
