"""Every simulator the resident's journey needs, started together for ``kiosk demo``, the UI tests and bench/ui.py:
the SAM ID-card reader on a pty, camera videos (face, document, receipt QR), the ESC/POS printer emulator and the
platform simulator, each with the real driver or client in front of it.

``kiosk.hardware`` (the lead's) builds the configured devices for ``kiosk run``; this rig is the scripted
counterpart, with hooks to put a card on the reader, show the camera another scene, or break a device.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# A platform test resident (drivers/sim/platform/residents.json) as an ID card, so the real-name check passes.
DEMO_CARD = {
    "name": "张伟",
    "sex": "1",
    "nation": "01",
    "birth": "19900307",
    "address": "北京市朝阳区建国路88号院3号楼2单元1201室",
    "id_number": "110105199003071239",
    "authority": "北京市公安局朝阳分局",
    "valid_from": "20150601",
    "valid_to": "20350601",
}


@dataclass
class SimRig:
    base: Path
    kiosk_id: str = "K0001"
    devices: dict = field(default_factory=dict)
    cameras: dict = field(default_factory=dict)  # scene → Camera
    _started: list = field(default_factory=list)
    card_fields: dict = field(default_factory=lambda: dict(DEMO_CARD))

    def start(self, backend_wait_s: float = 8.0):
        """Start everything; returns the journey backend on the platform simulator."""
        from drivers.camera import Camera, CameraConfig
        from drivers.idcard import IdCardReader
        from drivers.printer import PAPER_80, ThermalPrinter
        from drivers.sim.camera.video import scene_video
        from drivers.sim.idcard import IdCardSimulator, SimCard
        from drivers.sim.platform import PlatformSimulator
        from drivers.sim.printer import PrinterEmulator
        from kiosk.journey_platform import PlatformBackend
        from kiosk.platform import PlatformClient
        from kiosk.platform.outbox import Outbox

        self.base.mkdir(parents=True, exist_ok=True)
        self.platform = PlatformSimulator(self.base / "platform.db", speed=60.0)
        self.platform.start()
        self._started.append(self.platform.stop)
        self.client = PlatformClient(self.platform.url, self.platform.token, self.kiosk_id)
        self.outbox = Outbox(self.base / "outbox", self.client, self.kiosk_id, backoff_base=0.2, backoff_cap=2.0)
        self.outbox.start()
        self._started.append(self.outbox.close)
        self._started.append(self.outbox.stop)
        backend = PlatformBackend(self.client, self.outbox, deliver_wait_s=backend_wait_s)

        card = SimCard("demo-zhang", "resident", dict(DEMO_CARD))
        self.idsim = IdCardSimulator([card]).start()
        self._started.append(self.idsim.stop)
        reader = IdCardReader(self.idsim.port, 115200, poll_interval=0.1)
        reader.open()
        self._started.append(reader.close)
        self.devices["idcard"] = reader

        self.printer_emulator = PrinterEmulator(out_dir=self.base / "printer", dots=576)
        self.printer_emulator.start()
        self._started.append(self.printer_emulator.stop)
        printer = ThermalPrinter(self.printer_emulator.address, paper=PAPER_80)
        printer.open()
        self._started.append(printer.close)
        self.devices["printer"] = printer

        videos = self.base / "camera"
        videos.mkdir(exist_ok=True)
        for scene in ("face", "document"):
            camera = Camera(CameraConfig(source=str(scene_video(videos, scene))))
            camera.open()
            self._started.append(camera.close)
            self.cameras[scene] = camera
        self.devices["camera"] = self.cameras["face"]
        self.wait_online([*self.devices.values(), *self.cameras.values()])
        return backend

    @staticmethod
    def wait_online(devices, timeout: float = 15.0) -> bool:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(str(d.status().state) == "online" for d in devices):
                return True
            time.sleep(0.05)
        return False

    def receipt_camera(self, payload: str):
        """A camera that sees a receipt QR carrying ``payload`` (for the progress lookup)."""
        import cv2
        import numpy as np

        from drivers.camera import Camera, CameraConfig
        from drivers.sim.camera.scenes import noisy, qr_scene

        path = self.base / "camera" / "receipt-qr.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (1280, 720))
        scene = qr_scene((1280, 720), payload)
        rng = np.random.default_rng(3)
        for _ in range(30):
            writer.write(noisy(scene, rng))
        writer.release()
        camera = Camera(CameraConfig(source=str(path)))
        camera.open()
        self._started.append(camera.close)
        self.cameras["qr"] = camera
        self.wait_online([camera])
        return camera

    def place_card(self) -> None:
        self.idsim.place(0)

    def remove_card(self) -> None:
        self.idsim.remove()

    def stop(self) -> None:
        for stop in reversed(self._started):
            try:
                stop()
            except Exception:
                log.exception("stopping a simulator failed")
        self._started.clear()
