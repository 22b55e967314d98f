"""Camera driver: live preview, QR codes, face guidance and capture, document capture (OpenCV)."""

from drivers.camera.device import Camera, CameraConfig, Frame
from drivers.camera.document import DocReason, DocRules, DocumentResult, DocumentScanner
from drivers.camera.face import FaceGuide, FacePhoto, FaceReason, FaceRules, Guidance, load_cascade
from drivers.camera.matcher import FaceMatcher, MatcherConfig, SFaceMatcher, load_matcher
from drivers.camera.qr import QrCode, QrDeduper, QrReader, decode_payload
from drivers.camera.source import CameraSource, SourceKind, parse_source

__all__ = [
    "Camera",
    "CameraConfig",
    "CameraSource",
    "DocReason",
    "DocRules",
    "DocumentResult",
    "DocumentScanner",
    "FaceGuide",
    "FaceMatcher",
    "FacePhoto",
    "FaceReason",
    "FaceRules",
    "Frame",
    "Guidance",
    "MatcherConfig",
    "QrCode",
    "QrDeduper",
    "QrReader",
    "SFaceMatcher",
    "SourceKind",
    "decode_payload",
    "load_cascade",
    "load_matcher",
    "parse_source",
]
