"""``kiosk device camera-test``: open the camera, save a frame, a face crop, a corrected document and a
JSON report (decoded QR payloads, guidance reasons, quality figures).

On a busy machine a step can outlive its timeout. It is then cancelled and reported as ``timeout`` (in the
report and the summary line, exit 1), never a traceback. If a step is still running inside OpenCV after the
cancel, the process ends with ``os._exit`` once the report is written: letting the interpreter finalize under
a thread that is inside OpenCV aborts it ("FATAL: exception not rethrown", SIGABRT).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
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


class _Late:
    """A step that did not finish: reads like a failed ``Completion``."""

    ok = False
    code = "timeout"
    value = None

    def __init__(self, step: str, seconds: float, detail: str = "") -> None:
        self.detail = detail or f"{step} did not finish within {seconds:g} s (the machine may be busy); cancelled"


def _finish(start: Any, step: str, wait: float, stuck: list[str]) -> Any:
    """The step's completion, or — when it outlives ``wait`` — cancel it and say so. After a stuck step the
    camera's worker is still busy, so later steps are not started."""
    if stuck:
        return _Late(step, wait, f"{step} not started: the camera is still busy with the {stuck[0]}")
    command = start()
    try:
        return command.result(wait)
    except TimeoutError:
        command.cancel()
        try:
            command.result(2.0)  # a cancelled step normally ends at its next check
        except TimeoutError:
            stuck.append(step)
        return _Late(step, wait)


def camera_test(args: argparse.Namespace) -> int:
    stuck: list[str] = []
    status = _camera_test(args, stuck)
    if stuck:  # a worker is still inside OpenCV: finalizing the interpreter under it would abort the process
        print(f"camera-test: {', '.join(stuck)} still running after the cancel; exiting now", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def _camera_test(args: argparse.Namespace, stuck: list[str]) -> int:
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
        snap = _finish(lambda: camera.snapshot(timeout=args.timeout), "snapshot", args.timeout + 2, stuck)
        if snap.ok:
            cv2.imwrite(str(out / "frame.jpg"), snap.value.image)
            report["frame"] = {"width": snap.value.image.shape[1], "height": snap.value.image.shape[0]}
        else:
            report["frame"] = {"code": str(snap.code), "detail": snap.detail}
        wait = args.timeout + 2
        qr = _finish(lambda: camera.scan_qr(timeout=min(args.timeout, 4.0), until_first=False), "QR scan", wait, stuck)
        report["qr"] = [c.as_dict() for c in qr.value] if qr.ok else {"code": str(qr.code), "detail": qr.detail}
        face = _finish(lambda: camera.capture_face(timeout=args.timeout), "face capture", wait, stuck)
        if face.ok:
            (out / "face.jpg").write_bytes(face.value.crop_jpeg)
            report["face"] = face.value.guidance.as_dict()
        else:
            report["face"] = {"code": str(face.code), "detail": face.detail}
        doc = _finish(lambda: camera.capture_document(timeout=args.timeout), "document capture", wait, stuck)
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
    late = [r.detail for r in (snap, qr, face, doc) if isinstance(r, _Late)]
    print(
        f"camera {report['source']}: frame {'ok' if snap.ok else snap.code}, "
        f"{'QR timeout' if isinstance(qr, _Late) else f'{qr_count} QR code(s)'}, "
        f"face {'ok' if face.ok else face.code}, document {'ok' if doc.ok else doc.code}; report in {out}"
    )
    for detail in late:
        print(f"camera-test: {detail}")
    return 0 if snap.ok and not late else 1


def _write(out: Path, report: dict[str, Any]) -> None:
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
