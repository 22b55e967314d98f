"""``kiosk device camera-test``: open the camera, save a frame, a face crop, a corrected document and a
JSON report (decoded QR payloads, guidance reasons, quality figures)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


def register(cli) -> None:
    p = cli.command("device", "camera-test", help="test the camera: frame, face, document, QR codes")
    p.add_argument(
        "--source",
        default="0",
        help="camera index, device path, video file or URL; 'sim:SCENE[,SCENE…]' plays simulator scenes (default 0)",
    )
    p.add_argument("--out", required=True, type=Path, help="folder for frame.jpg, face.jpg, document.jpg, report.json")
    p.add_argument("--timeout", type=float, default=6.0, help="seconds allowed for each step (default 6)")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.set_defaults(func=camera_test)


def _resolve_source(source: str, out: Path, size: tuple[int, int]) -> str:
    if not source.startswith("sim:"):
        return source
    from drivers.sim.camera import make_video

    scenes = [s for s in source[4:].split(",") if s] or ["face", "document", "qr"]
    path = out / "sim-camera.avi"
    make_video(path, scenes, fps=15, size=size, seconds=1.5)
    return str(path)


def _wait_ready(camera, timeout: float) -> bool:
    from drivers.contract import DeviceState

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        state = camera.status().state
        if state in (DeviceState.ONLINE, DeviceState.USER_ERROR):
            return True
        if state in (DeviceState.NO_DEVICE, DeviceState.HARDWARE_ERROR) and time.monotonic() > end - timeout + 1.0:
            return False
        time.sleep(0.05)
    return False


def camera_test(args: argparse.Namespace) -> int:
    import cv2

    from drivers.camera import Camera, CameraConfig

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    try:
        source = _resolve_source(args.source, out, (args.width, args.height))
    except ValueError as error:
        print(f"camera-test: {error}")
        return 2
    camera = Camera(CameraConfig(source=source, width=args.width, height=args.height))
    report: dict[str, Any] = {"source": camera.source.display, "capabilities": camera.capabilities()}
    camera.open()
    try:
        ready = _wait_ready(camera, args.timeout)
        status = camera.status()
        report["status"] = {"state": str(status.state), "detail": status.detail, **status.fields}
        if not ready:
            print(f"camera not ready: {status.state} {status.detail}")
            _write(out, report)
            return 1
        snap = camera.snapshot(timeout=args.timeout).result(args.timeout + 2)
        if snap.ok:
            cv2.imwrite(str(out / "frame.jpg"), snap.value.image)
            report["frame"] = {"width": snap.value.image.shape[1], "height": snap.value.image.shape[0]}
        else:
            report["frame"] = {"code": str(snap.code), "detail": snap.detail}
        qr = camera.scan_qr(timeout=min(args.timeout, 4.0), until_first=False).result(args.timeout + 2)
        report["qr"] = [c.as_dict() for c in qr.value] if qr.ok else {"code": str(qr.code), "detail": qr.detail}
        face = camera.capture_face(timeout=args.timeout).result(args.timeout + 2)
        if face.ok:
            (out / "face.jpg").write_bytes(face.value.crop_jpeg)
            report["face"] = face.value.guidance.as_dict()
        else:
            report["face"] = {"code": str(face.code), "detail": face.detail}
        doc = camera.capture_document(timeout=args.timeout).result(args.timeout + 2)
        if doc.ok:
            (out / "document.jpg").write_bytes(doc.value.jpeg)
            report["document"] = doc.value.as_dict()
        else:
            report["document"] = {"code": str(doc.code), "detail": doc.detail}
        report["preview_fps"] = round(camera.preview_fps(), 1)
        report["counters"] = camera.counters.snapshot()
    finally:
        camera.close()
    _write(out, report)
    qr_count = len(report["qr"]) if isinstance(report["qr"], list) else 0
    print(
        f"camera {report['source']}: frame {'ok' if snap.ok else snap.code}, {qr_count} QR code(s), "
        f"face {'ok' if face.ok else face.code}, document {'ok' if doc.ok else doc.code}; report in {out}"
    )
    return 0 if snap.ok else 1


def _write(out: Path, report: dict[str, Any]) -> None:
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
