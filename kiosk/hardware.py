"""The kiosk's devices and services as configured: real ones, or simulators where a setting says ``sim``.

``Hardware.start(settings, data_dir)`` opens every device (a missing one is a status, retried in the
background), starts the platform simulator when ``platform.url = "sim"``, the outbox, the audit trail and
the device supervisor. ``stop()`` undoes it all. Simulators sit on the far side of the real transports
(a pty, loopback TCP, a video file, HTTP on loopback), so the drivers run exactly as they would on a kiosk.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from drivers.contract import Device
from kiosk.config import Settings

if TYPE_CHECKING:
    from drivers.sim.idcard import IdCardSimulator
    from drivers.sim.platform import PlatformSimulator
    from drivers.sim.printer import PrinterEmulator
    from drivers.sim.sscard import PcscEnvironment
    from kiosk.audit import AuditTrail
    from kiosk.platform import PlatformClient
    from kiosk.platform.outbox import Outbox
    from kiosk.supervisor import Supervisor

log = logging.getLogger(__name__)

SIM_PRINTER_STATUS_TIMEOUT_S = 2.0  # a real printer answers DLE EOT in milliseconds; the driver's default is 0.5 s

SIM = "sim"
SIM_TOKEN_FILE = "platform-sim.token"
# The simulated ID card reader's photos are JPEG stand-ins; this decoder shows them like a vendor WLT plug-in would.
SIM_PHOTO_DECODER = "drivers.idcard.standin_photo:decode_standin"


@dataclass
class Simulators:
    """Handles on the simulators this run started, for the demo, the staff self-tests and tests."""

    idcard: IdCardSimulator | None = None
    sscard: PcscEnvironment | None = None  # private pcscd + virtual card
    printer: PrinterEmulator | None = None
    camera_dir: Path | None = None  # where drivers.sim.camera.scene_video keeps its videos
    platform: PlatformSimulator | None = None

    def camera_scene(self, scene: str) -> Path:
        """The looping video of one simulated scene (face, document, qr …)."""
        from drivers.sim.camera import scene_video

        if self.camera_dir is None:
            raise RuntimeError("the camera is not simulated in this configuration")
        return scene_video(self.camera_dir, scene)


@dataclass
class Hardware:
    settings: Settings
    data_dir: Path
    devices: dict[str, Device] = field(default_factory=dict)
    sims: Simulators = field(default_factory=Simulators)
    client: PlatformClient | None = None
    token: str = ""  # the device token the client sends (a health check of a new gateway reuses it)
    outbox: Outbox | None = None
    audit: AuditTrail | None = None
    supervisor: Supervisor | None = None
    faults: list[tuple[str, str]] = field(default_factory=list)  # (code, detail) worked around while starting
    _stops: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings, data_dir: Path, *, devices: bool = True, delivery: bool = True,
              outbox: bool = True, audit: AuditTrail | None = None) -> Hardware:  # fmt: skip
        """``audit``: the trail its owner keeps open across restarts (``kiosk.core``); without one the hardware
        opens its own and closes it on ``stop()``. ``outbox=False``: the platform client only (safe mode's
        heartbeat on settings that may not be the site's: queued applications wait for the real ones)."""
        hardware = cls(settings, Path(data_dir))
        try:
            hardware._start_audit(audit)
            if devices:
                hardware._start_devices()
            if delivery:
                hardware._start_platform(outbox)
        except BaseException:
            hardware.stop()
            raise
        return hardware

    def stop(self) -> None:
        """Stop in reverse order of start; one failing step does not keep the others running."""
        while self._stops:
            step = self._stops.pop()
            try:
                step()
            except Exception:
                log.exception("stopping %s failed", getattr(step, "__qualname__", step))

    def __enter__(self) -> Hardware:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def device(self, name: str) -> Device | None:
        return self.devices.get(name)

    @property
    def sim_dir(self) -> Path:
        path = self.data_dir / "sim"
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- audit and supervision -------------------------------------------------------------
    def _start_audit(self, audit: AuditTrail | None) -> None:
        from kiosk.audit import FILE_NAME, AuditTrail

        if audit is not None:  # its owner (the core) opened it, quarantining a corrupt one itself
            self.audit = audit
            return
        moved = self._set_aside_if_corrupt(self.data_dir / FILE_NAME, "audit_quarantined")
        self.audit = AuditTrail(self.data_dir / FILE_NAME)
        self._stops.append(self.audit.close)
        if moved is not None:
            self.audit.record("audit.quarantined", "system", kept=str(moved))

    def _set_aside_if_corrupt(self, path: Path, code: str) -> Path | None:
        """A corrupt database is quarantined (kept byte for byte) and a fresh one opened: never a restart loop."""
        from kiosk.quarantine import database_problem, quarantine

        problem = database_problem(path)
        if problem is None:
            return None
        moved = quarantine(path, self.data_dir, problem)
        self.faults.append((code, f"{path.name}: {problem}; kept in {moved}"))
        return moved

    def _start_devices(self) -> None:
        from kiosk.supervisor import Supervisor

        self.supervisor = Supervisor(self.data_dir, self.audit)
        self._stops.append(self.supervisor.close)
        config = self.settings.devices
        for name, builder, required in (
            ("idcard", self._idcard, config.idcard.required),
            ("printer", self._printer, config.printer.required),
            ("camera", self._camera, config.camera.required),
            ("sscard", self._sscard, config.sscard.required),
        ):
            device = builder()
            self.devices[name] = device
            self.supervisor.add(device, required)
            device.open()
            self._stops.append(device.close)

    # -- devices ----------------------------------------------------------------------------
    def _idcard(self) -> Device:
        from drivers.idcard import IdCardReader

        setting = self.settings.devices.idcard
        port, decoder = setting.port, None
        if port == SIM:
            from drivers.sim.idcard import IdCardSimulator

            self.sims.idcard = IdCardSimulator(baud=setting.baud).start()
            self._stops.append(self.sims.idcard.stop)
            port, decoder = self.sims.idcard.port, SIM_PHOTO_DECODER
        return IdCardReader(port, setting.baud, name="idcard", photo_decoder=decoder)

    def _printer(self) -> Device:
        from drivers.printer import PAPER_58, PAPER_80, ThermalPrinter

        setting = self.settings.devices.printer
        paper = PAPER_58 if setting.paper_width_mm == 58 else PAPER_80
        uri = setting.uri
        if uri == SIM:
            from drivers.sim.printer import PrinterEmulator

            out = self.sim_dir / "printer"
            out.mkdir(exist_ok=True)
            self.sims.printer = PrinterEmulator(host="127.0.0.1", port=0, out_dir=out, dots=paper.dots)
            self.sims.printer.start()
            self._stops.append(self.sims.printer.stop)
            uri = f"tcp://127.0.0.1:{self.sims.printer.port}"
            # The emulator answers DLE EOT from a thread of this process, sharing the GIL with the UI, the camera
            # and its own picture drawing: on a loaded machine a reply after the cut missed 0.5 s and a receipt
            # that had printed in full was shown on screen instead (kiosk demo under the test suite).
            return ThermalPrinter(uri, paper, name="printer", status_timeout=SIM_PRINTER_STATUS_TIMEOUT_S)
        return ThermalPrinter(uri, paper, name="printer")

    def _camera(self) -> Device:
        from drivers.camera import Camera, CameraConfig, DocRules

        setting = self.settings.devices.camera
        source: str | int = setting.source
        if source == SIM:
            self.sims.camera_dir = self.sim_dir / "camera"
            self.sims.camera_dir.mkdir(exist_ok=True)
            source = str(self.sims.camera_scene("face"))
        elif isinstance(source, str) and source.isdigit():
            source = int(source)
        rules = DocRules(fov_deg=setting.fov_deg)
        config = CameraConfig(source=source, width=setting.width, height=setting.height, doc_rules=rules)
        return Camera(config, name="camera")

    def _sscard(self) -> Device:
        from drivers.sscard import SocialSecurityCardReader

        pattern: str | None = self.settings.devices.sscard.reader
        if pattern == SIM:
            from drivers.sim.sscard import PcscEnvironment, pcsc_available

            available, why = pcsc_available()
            pattern = None  # without the simulator the reader reports no_device; the UI hides that option
            if available:
                environment = PcscEnvironment()
                try:
                    environment.start()
                except RuntimeError as error:  # a simulator that fails must not keep the kiosk from starting
                    log.warning("social-security card simulator did not start: %s", error)
                else:
                    self.sims.sscard = environment
                    self._stops.append(environment.stop)
                    pattern = environment.reader_pattern
            else:
                log.warning("social-security card simulator unavailable: %s", why)
        return SocialSecurityCardReader(reader_pattern=pattern)

    # -- platform and delivery ------------------------------------------------------------------
    def _start_platform(self, outbox: bool = True) -> None:
        from kiosk.platform import PlatformClient
        from kiosk.platform.outbox import DB_NAME, Outbox

        platform = self.settings.platform
        token = self.token = platform_token(self.settings, self.data_dir)
        url = platform.url
        if url == SIM:
            from drivers.sim.platform import PlatformSimulator

            self.sims.platform = PlatformSimulator(self.sim_dir / "platform.sqlite3", token=token)
            self.sims.platform.start()
            self._stops.append(self.sims.platform.stop)
            url = self.sims.platform.url
        kiosk_id = self.settings.kiosk.id
        self.client = PlatformClient(url, token, kiosk_id, ca_bundle=platform.ca_bundle or None)
        if not outbox:
            return
        moved = self._set_aside_if_corrupt(self.data_dir / DB_NAME, "outbox_quarantined")
        if moved is not None and self.audit is not None:  # the alarm: the audit trail, the heartbeat, the log
            self.audit.record("outbox.quarantined", "system", kept=str(moved))
        self.outbox = Outbox(self.data_dir, self.client, kiosk_id)
        self.outbox.start()
        self._stops.append(self.outbox.close)


def platform_token(settings: Settings, data_dir: Path) -> str:
    """The device token sent to the platform: the credentials file, or the simulator's (made once per data folder).
    Needs no running hardware: the fleet's health check of a new gateway reads it while the hardware is down."""
    platform = settings.platform
    if platform.credentials_file:
        return Path(platform.credentials_file).read_text("utf-8").strip()
    if platform.url != SIM:
        raise RuntimeError("platform.credentials_file is required for a real platform gateway")
    sim_dir = Path(data_dir) / "sim"
    sim_dir.mkdir(parents=True, exist_ok=True)
    token_file = sim_dir / SIM_TOKEN_FILE
    if not token_file.exists():
        token_file.write_text(secrets.token_urlsafe(24), "utf-8")
        token_file.chmod(0o600)
    return token_file.read_text("utf-8").strip()
