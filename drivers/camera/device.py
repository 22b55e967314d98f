"""The camera as a contract device: a grab thread for frames, the worker for analysis commands.

Two threads, on purpose. The grab thread does nothing but ``read()`` and keep the newest frame
(latest-frame semantics: a slow consumer skips frames, it never works through a backlog, and the
camera's own buffer is drained so frames are fresh). The contract's worker runs the commands —
scan a QR code, capture a face, capture a document — each taking the newest frame when it is
ready for one, so analysis speed never lowers the preview rate. The UI reads ``latest_frame()``
(or subscribes to frames) and never waits on either thread.

Faults: a missing camera is ``no_device`` and retried with back-off; a camera that stops
delivering frames (unplugged, stream dropped) is noticed by the grab thread, the running command
ends with ``device_not_ready``, and the worker reconnects; black frames (lens covered, sensor
fault) set the state to ``user_error`` with ``signal: black`` until a picture returns.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from drivers.camera.document import DocReason, DocRules, DocumentResult, DocumentScanner
from drivers.camera.face import DEFAULT_CASCADE, BestFace, FaceGuide, FacePhoto, FaceRules, load_cascade
from drivers.camera.matcher import FaceMatcher, MatcherConfig, load_matcher
from drivers.camera.qr import QrCode, QrDeduper, QrReader
from drivers.camera.source import CameraSource, SourceKind, parse_source
from drivers.contract import CancelToken, Code, Command, Device, DeviceError, DeviceState

log = logging.getLogger(__name__)

CaptureFactory = Callable[[int | str], Any]  # returns an object with cv2.VideoCapture's read/set/get/release


@dataclass(frozen=True)
class Frame:
    seq: int
    time: float  # time.monotonic() when grabbed
    image: np.ndarray  # BGR; never written to after publication, share it read-only


@dataclass(frozen=True)
class CameraConfig:
    source: str | int = 0
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    loop_files: bool = True  # a video file plays in a loop (demo, simulator) instead of ending like an unplug
    cascade: str = DEFAULT_CASCADE
    face_rules: FaceRules = field(default_factory=FaceRules)
    doc_rules: DocRules = field(default_factory=DocRules)
    matcher: MatcherConfig | None = None
    qr_window: float = 3.0  # seconds a repeated QR payload stays silent
    black_level: float = 12.0  # mean grey level under which a frame counts as black
    black_after: float = 1.0  # seconds of black frames before the status says so
    stall_after: float = 3.0  # seconds without a frame before the camera counts as gone
    reconnect_initial: float = 0.5
    reconnect_max: float = 30.0


def default_capture(value: int | str) -> cv2.VideoCapture:
    return cv2.VideoCapture(value)


class _Grabber:
    """Reads frames on its own thread and publishes the newest one."""

    def __init__(self, camera: Camera, capture: Any, first: np.ndarray, pace: float | None, loop: bool) -> None:
        self.camera = camera
        self.capture = capture
        self.pace = pace  # seconds per frame for files; live sources pace themselves
        self.loop = loop
        self.stop = threading.Event()
        self.failed: str | None = None
        self.black_since: float | None = None
        self.thread = threading.Thread(target=self._run, name=f"grab-{camera.name}", daemon=True)
        self._publish(first)

    def _publish(self, image: np.ndarray) -> None:
        now = time.monotonic()
        if float(image[::8, ::8].mean()) < self.camera.config.black_level:
            self.black_since = self.black_since or now
        else:
            self.black_since = None
        self.camera._publish(image, now)

    def _run(self) -> None:
        next_due = time.monotonic()
        failures = 0
        while not self.stop.is_set():
            if self.pace is not None:
                next_due += self.pace
                delay = next_due - time.monotonic()
                if delay > 0:
                    self.stop.wait(delay)
                else:
                    next_due = time.monotonic()  # fell behind: do not burst to catch up
            try:
                ok, image = self.capture.read()
            except cv2.error as error:
                ok, image = False, None
                log.debug("read failed: %s", error)
            if ok and image is not None:
                failures = 0
                self._publish(image)
                continue
            if self.loop and failures == 0:
                self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)  # end of file: play again
            failures += 1
            if failures >= 3:
                self.failed = "camera stopped delivering frames"
                break
        self.camera._wake()


class Camera(Device):
    device_class = "camera"
    poll_interval = 0.2

    def __init__(
        self,
        config: CameraConfig | None = None,
        capture_factory: CaptureFactory | None = None,
        name: str | None = None,
    ) -> None:
        self.config = config or CameraConfig()
        self.reconnect_initial = self.config.reconnect_initial
        self.reconnect_max = self.config.reconnect_max
        super().__init__(name)
        self.source: CameraSource = parse_source(self.config.source)
        self._factory = capture_factory or default_capture
        self._grabber: _Grabber | None = None
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._seq = 0
        self._fps = 0.0
        self._frame_listeners: list[Callable[[Frame], None]] = []
        cascade = load_cascade(self.config.cascade)
        self.face_guide = FaceGuide(cascade, self.config.face_rules) if cascade is not None else None
        self.matcher: FaceMatcher | None
        self.matcher, self.matcher_detail = load_matcher(self.config.matcher)
        self.qr_reader = QrReader()
        self.doc_scanner = DocumentScanner(self.config.doc_rules)

    # -- what the UI and the application use ------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        return {
            "preview": True,
            "qr": True,
            "face_detector": self.face_guide is not None,
            "face_matcher": self.matcher is not None,
            "document": True,
            "resolution": [self.config.width, self.config.height],
        }

    def latest_frame(self) -> Frame | None:
        """The newest frame, without waiting; None before the first frame. Safe from any thread."""
        return self._latest

    def preview_fps(self) -> float:
        """Frames per second the grab thread is delivering (smoothed)."""
        return self._fps

    def subscribe_frames(self, listener: Callable[[Frame], None]) -> Callable[[], None]:
        """Call ``listener(frame)`` on the grab thread for every frame. It must return at once
        (Kivy: hand the frame to ``Clock.schedule_once``); returns the unsubscribe function."""
        with self._cond:
            self._frame_listeners.append(listener)

        def unsubscribe() -> None:
            with self._cond:
                if listener in self._frame_listeners:
                    self._frame_listeners.remove(listener)

        return unsubscribe

    def switch_source(self, source: str | int, timeout: float = 5.0) -> Command:
        """Reopen on another source (a site swapping cameras; the simulator changing scene)."""

        def body(token: CancelToken) -> str:
            self._disconnect()
            self.source = parse_source(source)
            with self._cond:
                self._latest = None
            self._connect()
            return self.source.display

        return self.submit("switch_source", body, timeout)

    def snapshot(self, timeout: float = 3.0) -> Command:
        """The next fresh frame (value: :class:`Frame`)."""
        return self.submit("snapshot", lambda token: self._next_frame(token, self._seq), timeout)

    def scan_qr(self, timeout: float | None = 30.0, until_first: bool = True) -> Command:
        """Decode QR codes from the stream; each new payload is a ``qr`` event. Ends with the first code
        (value: list with one :class:`QrCode`) or, with ``until_first=False``, runs until cancelled or
        timed out and ends with every distinct code seen (a timeout with codes seen is a success)."""
        return self.submit("scan_qr", lambda token: self._scan_qr(token, until_first), timeout)

    def capture_face(self, timeout: float | None = 20.0, settle: float = 0.8, enough: int = 5) -> Command:
        """Guide the resident (a ``face_guidance`` event per analysed frame) and end with the best
        acceptable frame as a :class:`FacePhoto`, after ``enough`` good frames or ``settle`` seconds
        from the first good one."""
        return self.submit("capture_face", lambda token: self._capture_face(token, settle, enough), timeout)

    def capture_document(self, timeout: float | None = 20.0, steady: int = 2) -> Command:
        """Wait for a legible page held still for ``steady`` analysed frames; a ``document_guidance``
        event per frame; ends with a :class:`DocumentResult` carrying the JPEG."""
        return self.submit("capture_document", lambda token: self._capture_document(token, steady), timeout)

    def match_face(self, photo: FacePhoto, reference: np.ndarray, timeout: float = 5.0) -> Command:
        """Compare a captured face with a reference picture using the configured local matcher
        (value: {"score", "match"}); ``unsupported`` when no matcher is configured."""
        return self.submit("match_face", lambda token: self._match_face(photo, reference), timeout)

    # -- device contract ---------------------------------------------------------------
    def _connect(self) -> None:
        source = self.source
        if self._factory is default_capture and source.kind is SourceKind.PATH and not os.path.exists(source.value):
            raise DeviceError(Code.DEVICE_NOT_READY, f"no camera at {source.display}")
        capture = self._factory(source.value)
        if capture is None or not capture.isOpened():
            if capture is not None:
                capture.release()
            raise DeviceError(Code.DEVICE_NOT_READY, f"no camera at {source.display}")
        if source.is_live:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
            capture.set(cv2.CAP_PROP_FPS, self.config.fps)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # where supported: no stale frames queued in the driver
        ok, first = capture.read()
        if not ok or first is None:
            capture.release()
            raise DeviceError(Code.DEVICE_NOT_READY, f"camera at {source.display} opened but sends no frames")
        pace = None
        if not source.is_live:
            file_fps = capture.get(cv2.CAP_PROP_FPS) or self.config.fps
            pace = 1.0 / (file_fps if 1 <= file_fps <= 240 else self.config.fps)
        self._grabber = _Grabber(self, capture, first, pace, self.config.loop_files and not source.is_live)
        self._grabber.thread.start()
        self.counters.add("connects")
        fields = {"source": source.display, "width": int(first.shape[1]), "height": int(first.shape[0]), "signal": "ok"}
        self._set_status(self._status.state, self._status.detail, **fields)

    def _disconnect(self) -> None:
        grabber, self._grabber = self._grabber, None
        if grabber is None:
            return
        grabber.stop.set()
        grabber.thread.join(2.0)
        if grabber.thread.is_alive():
            # a read() stuck in the OS driver: releasing under it can crash, so let the daemon thread be
            log.warning("camera grab thread did not stop; leaving the capture to it")
            return
        grabber.capture.release()

    def _poll(self) -> None:
        grabber = self._grabber
        if grabber is None:
            return
        self._check_stream(grabber)
        black = grabber.black_since is not None and time.monotonic() - grabber.black_since >= self.config.black_after
        if black and self._status.state is DeviceState.ONLINE:
            self.counters.add("black_signal")
            self._set_status(DeviceState.USER_ERROR, "black frames: lens covered or sensor fault", signal="black")
        elif not black and self._status.state is DeviceState.USER_ERROR:
            self._set_status(DeviceState.ONLINE, signal="ok")

    def _check_stream(self, grabber: _Grabber) -> None:
        if grabber.failed:
            raise DeviceError(Code.DEVICE_NOT_READY, grabber.failed)
        latest = self._latest
        if latest is not None and time.monotonic() - latest.time > self.config.stall_after:
            raise DeviceError(Code.DEVICE_NOT_READY, f"no frame for {self.config.stall_after:.0f} s")

    # -- frames --------------------------------------------------------------------------
    def _publish(self, image: np.ndarray, now: float) -> None:
        with self._cond:
            previous = self._latest
            self._seq += 1
            frame = Frame(self._seq, now, image)
            self._latest = frame
            listeners = list(self._frame_listeners)
            self._cond.notify_all()
        if previous is not None and now > previous.time:
            self._fps = 0.9 * self._fps + 0.1 / (now - previous.time) if self._fps else 1 / (now - previous.time)
        self.counters.add("frames")
        for listener in listeners:
            try:
                listener(frame)
            except Exception:
                log.exception("frame listener failed on %s", self.name)

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _next_frame(self, token: CancelToken, after: int) -> Frame:
        """The newest frame newer than ``after``; raises when the stream dies, on cancel or deadline."""
        with self._cond:
            while True:
                grabber = self._grabber
                if grabber is None:
                    raise DeviceError(Code.DEVICE_NOT_READY, "camera not connected")
                self._check_stream(grabber)
                latest = self._latest
                if latest is not None and latest.seq > after:
                    return latest
                token.check()
                self._cond.wait(token.remaining(0.05))

    def _frames(self, token: CancelToken) -> Iterator[Frame]:
        """Newest frames, one per analysis step: frames that arrive while analysing are skipped."""
        seq = 0
        while True:
            frame = self._next_frame(token, seq)
            seq = frame.seq
            self.counters.add("frames_analysed")
            yield frame

    def _black_detail(self) -> str:
        return " (black frames)" if self._status.fields.get("signal") == "black" else ""

    # -- command bodies (worker thread) --------------------------------------------------
    def _scan_qr(self, token: CancelToken, until_first: bool) -> list[QrCode]:
        dedupe = QrDeduper(self.config.qr_window)
        seen: dict[bytes, QrCode] = {}
        try:
            for frame in self._frames(token):
                for code in self.qr_reader.read(frame.image):
                    if not dedupe.is_new(code.raw, frame.time):
                        continue
                    seen.setdefault(code.raw, code)
                    self.counters.add("qr_decoded")
                    log.info("QR code decoded (%d bytes, %s)", len(code.raw), code.encoding)
                    self._emit("qr", **code.as_dict())
                    if until_first:
                        return [code]
        except DeviceError as error:
            if error.code is Code.TIMEOUT and seen and not until_first:
                return list(seen.values())
            if error.code is Code.TIMEOUT:
                raise DeviceError(Code.TIMEOUT, "no QR code seen" + self._black_detail()) from None
            raise
        raise AssertionError("frame stream ended")  # _frames only ends by raising

    def _capture_face(self, token: CancelToken, settle: float, enough: int) -> FacePhoto:
        guide = self.face_guide
        if guide is None:
            raise DeviceError(Code.UNSUPPORTED, "no face detector loaded")
        best = BestFace()
        first_ok: float | None = None
        last = "no frame"
        try:
            for frame in self._frames(token):
                guidance = guide.assess(frame.image)
                last = str(guidance.reason)
                self._emit("face_guidance", **guidance.as_dict())
                best.offer(frame.image, guidance)
                if guidance.ok and first_ok is None:
                    first_ok = frame.time
                if first_ok is not None and (best.accepted >= enough or frame.time - first_ok >= settle):
                    photo = best.photo()
                    if photo is not None:
                        self.counters.add("faces_captured")
                        return photo
        except DeviceError as error:
            if error.code is Code.TIMEOUT:
                photo = best.photo()
                if photo is not None:  # good frames seen, just not enough: use the best
                    self.counters.add("faces_captured")
                    return photo
                detail = f"no acceptable face; last guidance {last}{self._black_detail()}"
                raise DeviceError(Code.TIMEOUT, detail) from None
            raise
        raise AssertionError("frame stream ended")

    def _capture_document(self, token: CancelToken, steady: int) -> DocumentResult:
        run: list[DocumentResult] = []
        last = "no frame"
        try:
            for frame in self._frames(token):
                result = self.doc_scanner.scan(frame.image, finish=False)
                last = str(result.reason)
                self._emit("document_guidance", **result.as_dict())
                if not result.ok or result.corners is None:
                    run.clear()
                    continue
                if run and float(np.abs(run[-1].corners - result.corners).max()) > 4.0:
                    run.clear()  # the page moved: start counting again
                run.append(result)
                if len(run) >= steady:
                    final = self.doc_scanner.scan(frame.image)
                    if final.reason is DocReason.OK:
                        self.counters.add("documents_captured")
                        return final
                    run.clear()
        except DeviceError as error:
            if error.code is Code.TIMEOUT:
                raise DeviceError(Code.TIMEOUT, f"no legible page; last check {last}{self._black_detail()}") from None
            raise
        raise AssertionError("frame stream ended")

    def _match_face(self, photo: FacePhoto, reference: np.ndarray) -> dict[str, Any]:
        matcher, guide = self.matcher, self.face_guide
        if matcher is None:
            raise DeviceError(Code.UNSUPPORTED, self.matcher_detail)
        live = cv2.imdecode(np.frombuffer(photo.frame_jpeg, np.uint8), cv2.IMREAD_COLOR)
        box = photo.guidance.face
        if live is None or box is None:
            raise DeviceError(Code.INVALID_DATA, "face photo has no face")
        ref_faces = guide.detect(reference) if guide is not None else []
        ref_box = ref_faces[0] if len(ref_faces) == 1 else (0, 0, reference.shape[1], reference.shape[0])
        score = matcher.similarity(matcher.feature(live, box), matcher.feature(reference, ref_box))
        return {"score": round(score, 4), "match": score >= matcher.threshold, "matcher": matcher.name}
