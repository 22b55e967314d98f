"""Device self-tests: print a test receipt, read a card on each reader, and a camera preview with the QR codes and
faces the camera's own detectors find drawn over it (a Kivy Image fed from ``camera.latest_frame()`` at ~5 fps)."""

from __future__ import annotations

import logging

import cv2
from kivy.app import App
from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.privacy import mask_id_number
from kiosk.staff import PermissionDenied, SessionClosed

log = logging.getLogger(__name__)

PREVIEW_FPS = 5  # modest: the preview must not starve the UI or the camera's analysis on two cores
PREVIEW_WIDTH = 640


def overlay(image, camera) -> tuple[object, int, int]:
    """A downscaled copy of ``image`` with QR outlines and face boxes drawn; (image, qr count, face count)."""
    scale = min(1.0, PREVIEW_WIDTH / image.shape[1])
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image.copy()
    codes = camera.qr_reader.read(small) if getattr(camera, "qr_reader", None) else []
    for code in codes:
        points = [(int(x), int(y)) for x, y in code.corners]
        for a, b in zip(points, points[1:] + points[:1], strict=True):
            cv2.line(small, a, b, (0, 200, 0), 3)
    guide = getattr(camera, "face_guide", None)
    faces = guide.detect(small) if guide is not None else []
    for x, y, w, h in faces:
        cv2.rectangle(small, (x, y), (x + w, y + h), (0, 180, 255), 3)
    return small, len(codes), len(faces)


class StaffSelftestScreen(Screen):
    printer_result: str = StringProperty("")
    idcard_result: str = StringProperty("")
    sscard_result: str = StringProperty("")
    camera_result: str = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._preview = None
        self._camera = None
        self._last_seq = -1

    def on_leave(self, *_args: object) -> None:
        self.stop_preview()

    def _desk(self):
        return App.get_running_app().staff_desk

    def _run(self, start, field: str, describe) -> None:
        """Start a device command; its completion comes back on the UI thread."""
        app = App.get_running_app()
        try:
            command = start()
        except (PermissionDenied, SessionClosed):
            setattr(self, field, app.t("Not allowed for your role"))
            return
        except LookupError:
            setattr(self, field, app.t("That device is not configured"))
            return
        setattr(self, field, app.t("Running…"))
        app.when_done(command, lambda done: setattr(self, field, describe(done)))

    def print_test(self) -> None:
        desk, t = self._desk(), App.get_running_app().t
        def describe(done) -> str:
            return t("Test receipt printed") if done.ok else t("Print failed: {code}").format(code=done.code)

        self._run(lambda: desk.maintenance.print_test(desk.session), "printer_result", describe)

    def read_card(self, device: str) -> None:
        desk, t = self._desk(), App.get_running_app().t

        def describe(done) -> str:
            if not done.ok:
                return t("No card read: {code}").format(code=done.code)
            return t("Card read: {number}").format(number=mask_id_number(done.value.id_number))  # masked only

        self._run(lambda: desk.maintenance.read_card_test(desk.session, device), f"{device}_result", describe)

    # -- camera preview -----------------------------------------------------------------------------
    def toggle_preview(self) -> None:
        if self._preview is not None:
            self.stop_preview()
            return
        app = App.get_running_app()
        desk = self._desk()
        try:
            self._camera = desk.maintenance.camera(desk.session)
        except (PermissionDenied, SessionClosed):
            self.camera_result = app.t("Not allowed for your role")
            return
        except LookupError:
            self.camera_result = app.t("That device is not configured")
            return
        self.camera_result = app.t("Waiting for the camera…")
        self._preview = Clock.schedule_interval(self.update_preview, 1 / PREVIEW_FPS)

    def stop_preview(self) -> None:
        if self._preview is not None:
            self._preview.cancel()
            self._preview = None
        self._camera = None
        self.ids.preview.texture = None

    def update_preview(self, *_args: object) -> None:
        frame = self._camera.latest_frame() if self._camera is not None else None
        if frame is None or frame.seq == self._last_seq:
            return
        self._last_seq = frame.seq
        drawn, qr, faces = overlay(frame.image, self._camera)
        height, width = drawn.shape[:2]
        texture = self.ids.preview.texture
        if texture is None or texture.size != (width, height):
            texture = Texture.create(size=(width, height), colorfmt="bgr")
            texture.flip_vertical()
        texture.blit_buffer(drawn.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.ids.preview.texture = texture
        self.ids.preview.canvas.ask_update()
        self.camera_result = App.get_running_app().t("Preview: {qr} QR codes, {faces} faces").format(qr=qr, faces=faces)
