"""One resident session and its steps, UI-free: item or bundle, identity, verification, materials, form, submission.

The touch screens are a view over a :class:`Journey`; tests, the demo and benchmarks drive it headless. The
platform side is ``kiosk.applications`` (one path for the touchscreen and ``kiosk apply``): the real-name check
(:class:`~kiosk.applications.ResidentSession`), the :class:`~kiosk.applications.Application` with its materials
and form, the outbox-backed :class:`~kiosk.applications.Submission`, its receipt, lookups and 好差评. The journey
adds what only the touchscreen has: steps, the card on the reader, the camera's state, the wipe.
Personal data (the identity, the face photo, captured pages, signatures, form values) lives only in the
:class:`Session` the journey holds; :meth:`Journey.wipe` drops it and every listener is told to clear what
it shows. Slow work (the platform's real-name check, submission) runs on worker threads and reports back as
core events (``journey``), which the app moves onto the UI thread.

The journey drives the devices itself: ``attach(devices)`` (the core calls it whenever the hardware starts or is
replaced) subscribes to the card readers, camera and printer; screens call its actions (``capture_face()``,
``capture_document()``, ``scan_identity_qr()``, ``scan_receipt_qr()``, ``print_receipt()``) and render its
``journey`` events, never a device. Device events and command completions reach the journey through one helper,
``dispatch`` (the app sets it to run the work on the UI thread; headless it runs in place).

The session lifecycle: a session starts when a resident begins (``begin``: first touch past home, a card, a
phone code, a chosen service) and ends (``end``) on done (goodbye), cancel anywhere, idle expiry, and a card pulled
mid-journey that is not put back within ``card_grace_s`` (a different card ends the session at once: it is
another person). ``active`` is derived from it; ``session_changed`` tells the core, whose configuration changes
wait for the end.
"""

from __future__ import annotations

import datetime as dt
import enum
import errno
import gc
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from drivers.contract import Command, Completion, Device, DeviceEvent, DeviceState
from drivers.identity import Identity, Source
from kiosk.applications import (
    Application,
    MaterialSlot,
    MaterialStatus,
    NotReady,
    ResidentSession,
    Submission,
    VerificationOutcome,
)
from kiosk.applications.materials import AUTHORISATION
from kiosk.events import Signal
from kiosk.i18n import N_, Message, Text
from kiosk.privacy import mask_id_number, mask_name, mask_phone, pseudonym

if TYPE_CHECKING:
    from drivers.camera import Camera
    from drivers.printer import Receipt
    from kiosk.applications import ApplicationOffice, Lookup

log = logging.getLogger(__name__)
STORAGE_RETRY_S = 3.0  # a full disk: how often a kept application tries to be saved again


def storage_full(error: BaseException) -> bool:
    """The data disk is full (the outbox's files or SQLite), here or in what caused ``error``."""
    seen: BaseException | None = error
    for _depth in range(5):
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(seen, sqlite3.OperationalError) and "full" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False

READY_STATES = (DeviceState.ONLINE, DeviceState.BUSY)
CARD_READERS = ("idcard", "sscard")
Dispatch = Callable[[Callable[[], None]], None]


@runtime_checkable
class CardReader(Protocol):
    """A card reader that can report the card lying on it once more (drivers.idcard, drivers.sscard)."""

    def read_again(self, timeout: float | None = 5.0) -> Command: ...


def _log_failed_reread(completion: Completion) -> None:
    if not completion.ok:  # the card was taken away meanwhile, or could not be read: it counts when put down
        log.info("a lying card was not read again: %s", completion.code)


class Step(enum.StrEnum):
    """The resident's steps, in order; each has one screen of the same name."""

    GUIDE = "guide"
    IDENTIFY = "identify"
    FACE = "face"
    MATERIALS = "materials"
    FORM = "form"
    CONFIRM = "confirm"
    SUBMITTING = "submitting"
    RECEIPT = "receipt"
    EVALUATE = "evaluate"
    GOODBYE = "goodbye"


class EndReason(enum.StrEnum):
    DONE = "done"
    CANCELLED = "cancelled"
    IDLE = "idle"
    CARD_REMOVED = "card_removed"
    OTHER_CARD = "other_card"


@dataclass(frozen=True)
class Target:
    """What the resident applies for: one item, or a 一件事 bundle of items with merged materials and form."""

    kind: str  # "item" | "bundle"
    code: str
    name: str
    items: tuple[Any, ...]  # kiosk.catalog.Item
    materials: tuple[Any, ...]  # kiosk.catalog.Material (merged for a bundle)
    form: tuple[Any, ...]  # kiosk.catalog.FormField (merged for a bundle)
    at_terminal: bool
    counter: str | None = None  # a bundle not wholly doable here: where the whole of it is done
    shared_documents: tuple[str, ...] = ()  # issued by an earlier item of the bundle, not asked of the resident

    @classmethod
    def of_item(cls, item: Any) -> Target:
        return cls("item", item.code, item.name, (item,), tuple(item.materials), tuple(item.form), item.at_terminal)

    @classmethod
    def of_bundle(cls, bundle: Any) -> Target:
        # a document an earlier item of the bundle issues is passed on by the platform, not asked for
        everything = bundle.merged_materials().materials
        merged = tuple(m.material for m in everything if m.produced_by is None)
        shared = tuple(m.material.name for m in everything if m.produced_by is not None)
        return cls("bundle", bundle.code, bundle.name, tuple(bundle.resolved_items), merged,
                   tuple(bundle.merged_form()), bundle.at_terminal, bundle.counter, shared)


@dataclass
class Session:
    """Everything personal of one resident. Replaced by a fresh Session on wipe."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    target: Target | None = None
    identity: Identity | None = None
    face_jpeg: bytes | None = None
    resident: ResidentSession | None = None  # the real-name check and its token
    verification: VerificationOutcome | None = None
    application: Application | None = None  # from a successful check on: materials and form go into it
    form: dict[str, Any] = field(default_factory=dict)
    form_errors: dict[str, Text] = field(default_factory=dict)
    submission: Submission | None = None
    evaluation: int | None = None
    error: str | Message | None = None  # the last error to show: a message id, or the core's message
    card_removed_at: float | None = None
    visited: list[str] = field(default_factory=list)
    started_by: str | None = None  # how the resident began (touch, card, qr, service); None: no session
    for_other: bool = False  # 代他人办理: the identified person is the agent, the application is the principal's
    principal: Identity | None = None  # whom the agent applies for (card, e-ID code or typed in)
    printed: set[str] = field(default_factory=set)  # what came out of the printer: "receipt", "sample"
    held: bool = False  # the application is kept in memory (a full disk) until it can be saved: no reference yet

    @property
    def materials(self) -> list[MaterialSlot]:
        """The application's material slots (one model: none before the real-name check started it)."""
        return self.application.materials if self.application is not None else []

    @property
    def personal(self) -> list[str]:
        """The personal strings this session holds (what a wipe must leave nowhere)."""
        out = []
        if self.identity is not None:
            out += [self.identity.name, self.identity.id_number]
            out += [v for v in (self.identity.address,) if v]
        if self.principal is not None:
            out += [self.principal.name, self.principal.id_number]
        out += [str(v) for v in self.form.values() if v not in (None, "")]
        return out


_VERIFICATION_UNAVAILABLE = N_(
    "Real-name verification is unavailable right now. Please come back later, or go to the counter in office hours."
)
_NOT_CONFIRMED = N_("We could not confirm who you are. Please go to the counter.")
# Reasons the platform or a device may give, in plain words (message ids; the UI translates them).
PLAIN_REASONS = {
    "face_mismatch": N_("The photo does not match the card. Please try again, or go to the counter."),
    "card_invalid": N_("This card cannot be used. Please go to the counter."),
    "qr_expired": N_("The code has expired. Please refresh it on your phone and scan again."),
    # Verification needs the platform: nothing is queued that it would refuse later.
    "platform_unavailable": _VERIFICATION_UNAVAILABLE,
    "no_face": N_("We could not see your face. Please look at the camera."),
}


# 帮办代办 in plain words (message ids).
AGENT_NOT_ALLOWED = N_("This service must be done by the applicant in person. It cannot be done for someone else.")
PRINCIPAL_IS_AGENT = N_("This is your own card. Please use the card of the person you apply for.")
PRINCIPAL_NAME_MISSING = N_("Please enter the name of the person you apply for.")
PRINCIPAL_ID_INVALID = N_("This ID number is not correct: the last digit does not match. Please check it.")
PRINCIPAL_ID_LENGTH = N_("An ID number has 18 characters: 17 digits and a last digit or X.")


class Journey:
    """The controller of one resident session at a time.

    ``emit(kind, **payload)`` publishes ``journey`` events (``kiosk.core.Kiosk.emit``); ``clock`` is injectable
    so tests advance time. ``apps`` is the :class:`~kiosk.applications.ApplicationOffice` on the platform client
    and outbox, or a function that returns the current one (the core's: it is replaced when the hardware restarts);
    None before the hardware started: every platform step then says the platform is unavailable.
    ``deliver_wait_s``: after the outbox commit, how long the receipt waits for the platform's number before
    it carries the local reference. ``gate`` is held while a session starts: the core holds it from its "no
    session" check to the end of a configuration change, so no session starts in between.
    """

    def __init__(
        self,
        apps: ApplicationOffice | Callable[[], ApplicationOffice | None] | None,
        emit: Callable[..., None],
        *,
        kiosk_id: str = "K0001",
        card_grace_s: float = 15.0,
        deliver_wait_s: float = 8.0,
        clock: Callable[[], float] = time.monotonic,
        run_async: Callable[[Callable[[], None]], None] | None = None,
        gate: AbstractContextManager[object] | None = None,
    ) -> None:
        self._gate: AbstractContextManager[object] = gate if gate is not None else nullcontext()
        self._office: Callable[[], ApplicationOffice | None] = apps if callable(apps) else (lambda: apps)
        self.deliver_wait_s = deliver_wait_s
        self._emit = emit
        self.kiosk_id = kiosk_id
        self.card_grace_s = card_grace_s
        self.timeout_factor = 1.0  # waits on the resident (face, QR, page): the core doubles them in elder mode
        self._clock = clock
        self._run_async = run_async or _thread
        self.dispatch: Dispatch = _in_place  # the app: run on the UI thread
        self.session = Session()
        self.session_changed: Signal[bool] = Signal("session_changed")
        self.card_roles: frozenset[str] = frozenset()  # readers whose card identifies the resident now
        self._devices: dict[str, Device] = {}
        self._detach: list[Callable[[], None]] = []
        self._command: Command | None = None  # the camera command in progress
        self._purpose = ""  # what it is for
        self._generation = 0  # bumps on wipe: late answers for a wiped session are dropped
        self.held = 0  # applications kept in memory while the disk is full (the heartbeat's applications_held)
        self._held_lock = threading.Lock()
        self._wipe_listeners: list[Callable[[], None]] = []

    @property
    def apps(self) -> ApplicationOffice | None:
        return self._office()

    # -- events --------------------------------------------------------------------------------------
    def emit(self, what: str, **payload: Any) -> None:
        self._emit("journey", what=what, **payload)

    def on_wipe(self, listener: Callable[[], None]) -> None:
        """Screens register here to clear every widget that showed personal data."""
        self._wipe_listeners.append(listener)

    # -- the session's lifecycle ---------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.session.started_by is not None

    def begin(self, how: str) -> None:
        """A resident began (``touch`` past home, ``card``, ``qr``, ``service``); nothing if a session runs."""
        with self._gate:  # waits for a configuration change being applied (the core's gate)
            if self.session.started_by is not None:
                return
            self.session.started_by = how
        log.info("session started (%s)", how)
        self.session_changed.fire(True)

    # -- devices -------------------------------------------------------------------------------------
    def attach(self, devices: Mapping[str, Device]) -> None:
        """Use these devices from now on (the core calls this when the hardware starts, restarts or stops)."""
        for detach in self._detach:
            detach()
        self._detach.clear()
        self._command = None  # a command on a replaced camera completes on its own (cancelled by the close)
        self._devices = dict(devices)
        for role, device in self._devices.items():
            self._detach.append(device.subscribe(self._listener(role)))
        self.emit("devices")

    def _lying_card_readers(self) -> list[CardReader]:
        """The readers of ``card_roles`` (ready) with a card on them now."""
        lying: list[CardReader] = []
        for role in CARD_READERS:
            device = self._devices.get(role)
            if role not in self.card_roles or not isinstance(device, CardReader) or not self.ready(role):
                continue
            if device.status().fields.get("card_present"):
                lying.append(device)
        return lying

    def card_lying(self) -> bool:
        """A card lies on a reader of ``card_roles``, reported before anyone listened (see ``read_lying_cards``)."""
        return bool(self._lying_card_readers())

    def read_lying_cards(self) -> None:
        """A screen began taking cards (``card_roles``): a card already lying on one of those readers was
        reported once, when nobody listened (put down on the home screen, or left there after an earlier
        step), and a reader reports a card once per placement. It is read again and counts as placed now,
        so a resident need not lift it and put it back."""
        for device in self._lying_card_readers():
            # no deadline of its own: each exchange with the reader has its timeout (a loaded machine is slow)
            device.read_again(timeout=None).add_done_callback(_log_failed_reread)

    def _listener(self, role: str) -> Callable[[DeviceEvent], None]:
        """Device events arrive on the device's thread: through ``dispatch``, like every completion."""

        def heard(event: DeviceEvent) -> None:
            self.dispatch(lambda: self._on_device_event(role, event))

        return heard

    def ready(self, role: str, capability: str | None = None) -> bool:
        """The device is there, online, and (if named) has the capability."""
        device = self._devices.get(role)
        if device is None or device.status().state not in READY_STATES:
            return False
        return capability is None or bool(device.capabilities().get(capability))

    def printer_can_print(self) -> bool:
        """Online with paper: near end still prints, end or an open cover do not."""
        device = self._devices.get("printer")
        if device is None:
            return False
        status = device.status()
        if status.state not in READY_STATES:
            return False
        return status.fields.get("paper", "ok") in ("ok", "near_end") and not status.fields.get("cover_open")

    @property
    def camera_ok(self) -> bool:
        """Documents can be photographed here now."""
        return self.ready("camera", "document")

    @property
    def printer_ok(self) -> bool:
        return self.printer_can_print()

    def camera_preview(self) -> Device | None:
        """The camera as a frame source for a live preview (``latest_frame()``), when it is ready."""
        return self._devices.get("camera") if self.ready("camera") else None

    def _on_device_event(self, role: str, event: DeviceEvent) -> None:
        """On the dispatch thread: card readers identify the resident; everything else is told to the screens."""
        kind, payload = event.kind, event.payload
        if kind == "status":
            self.emit("devices", role=role)
        elif role in CARD_READERS and kind == "identity_read" and self.awaiting_principal:
            self.set_principal(payload["identity"])  # 代办: the card now placed is the principal's
        elif role in CARD_READERS and kind == "identity_read":
            if role in self.card_roles or (self.session.identity is not None and self.session.submission is None):
                self.begin("card")
                self.identity_read(payload["identity"])
        elif role in CARD_READERS and kind == "card_removed":
            self.card_removed()
            if self.session.identity is None and role in self.card_roles:
                self.emit("card", role=role, event=kind)
        elif role in CARD_READERS and role in self.card_roles:
            self.emit("card", role=role, event=kind, code=str(payload.get("code", "")))
        elif role == "camera" and kind in ("face_guidance", "document_guidance") and self._command is not None:
            self.emit("guidance", purpose=kind.removesuffix("_guidance"), reason=payload.get("reason"))

    def _when_done(self, command: Command, handler: Callable[[Completion], None]) -> None:
        """The one way a device command's completion comes back: through ``dispatch``, for the current session."""
        generation = self._generation

        def done(completion: Completion) -> None:
            if generation == self._generation:
                handler(completion)

        command.add_done_callback(lambda completion: self.dispatch(lambda: done(completion)))

    def _camera_command(self, purpose: str, start: Callable[[Camera], Command],
                        handler: Callable[[Completion], None]) -> bool:  # fmt: skip
        self.cancel_capture()
        camera = cast("Camera | None", self._devices.get("camera"))
        if camera is None:
            return False
        command = self._command = start(camera)
        self._purpose = purpose

        def finished(completion: Completion) -> None:
            if self._command is command:
                self._command = None
                handler(completion)

        self._when_done(command, finished)
        return True

    def cancel_capture(self, purpose: str | None = None) -> None:
        """Stop the camera command in progress, or only one for ``purpose`` (``face``, ``document``,
        ``identity_qr``, ``receipt_qr``): a screen that is left stops what it started, not the next screen's."""
        if purpose is not None and purpose != self._purpose:
            return
        command, self._command = self._command, None
        if command is not None:
            command.cancel()

    def capture_face(self) -> None:
        """Photograph the resident's face, then the real-name check (``verified``); ``guidance`` events say what
        to change meanwhile, ``face_failed`` when no photo was taken. Without a working camera the platform checks
        the card alone: nothing is faked."""
        if not self.ready("camera", "face_detector"):
            self.verify()
            return

        def captured(done: Completion) -> None:
            if not done.ok:
                self.emit("face_failed", code=str(done.code))
                return
            self.face_captured(done.value.crop_jpeg)
            self.emit("face_captured")
            self.verify()

        self._camera_command("face", lambda camera: camera.capture_face(timeout=25 * self.timeout_factor), captured)

    def capture_document(self) -> None:
        """Photograph a page: ``document`` with ``jpeg`` for the resident to review, or ``ok=False``."""

        def shot(done: Completion) -> None:
            self.emit("document", ok=done.ok, jpeg=done.value.jpeg if done.ok else None)

        wait = 20 * self.timeout_factor
        if not self._camera_command("document", lambda camera: camera.capture_document(timeout=wait), shot):
            self.emit("document", ok=False, jpeg=None)

    def scan_identity_qr(self) -> None:
        """The phone's e-ID code in front of the camera, then the platform's check (``verified``);
        ``qr_failed`` when no code was seen."""

        def scanned(done: Completion) -> None:
            if not done.ok:
                self.emit("qr_failed", code=str(done.code))
                return
            self.begin("qr")
            self.emit("qr_read")
            self.identify_by_qr(done.value[0].text)

        wait = 60 * self.timeout_factor
        if not self._camera_command("identity_qr", lambda camera: camera.scan_qr(timeout=wait), scanned):
            self.emit("qr_failed", code="no_device")

    def scan_receipt_qr(self) -> None:
        """An old receipt's QR code in front of the camera: ``receipt_qr`` with the ``texts`` seen (none on failure)."""

        def scanned(done: Completion) -> None:
            self.emit("receipt_qr", texts=[code.text for code in done.value] if done.ok else [])

        wait = 30 * self.timeout_factor
        if not self._camera_command("receipt_qr", lambda camera: camera.scan_qr(timeout=wait), scanned):
            self.emit("receipt_qr", texts=[])

    def receipt(self, t: Callable[[str], str] | None = None) -> Receipt:
        """The 受理回执 of this session's submission (masked values only): printed in Chinese, shown on the
        screen in the resident's language (``t``)."""
        apps, sub = self.apps, self.session.submission
        if apps is None or sub is None:
            raise RuntimeError("nothing submitted in this session")
        return apps.receipt(sub, t)

    def print_receipt(self) -> None:
        """Print the receipt, or show it: ``printed`` with ``ok`` (False: the screen shows it, never lost)."""
        apps, sub = self.apps, self.session.submission
        if apps is None or sub is None or not self.printer_can_print():
            log.warning("printer cannot print: receipt shown on screen")
            self.emit("printed", ok=False, code="not_ready")
            return
        generation = self._generation

        def work() -> None:
            outcome = apps.print_receipt(sub)
            if generation == self._generation:
                if outcome.printed:
                    self.note_printed("receipt")
                self.emit("printed", ok=outcome.printed, code=outcome.code)

        self._run_async(work)

    def note_printed(self, what: str) -> None:
        """Something of this session came out of the printer ("receipt", "sample"): goodbye asks to take it."""
        self.session.printed.add(what)

    def take_away(self) -> tuple[bool, str | None]:
        """What the resident must not leave behind: (a card was read from a reader, what was printed: "receipt",
        "sample" or None). A QR identity, a receipt shown on the screen, a guide only read leave nothing."""
        identity = self.session.identity
        card = identity is not None and identity.source in (Source.ID_CARD, Source.SOCIAL_SECURITY_CARD)
        printed = self.session.printed
        return card, "receipt" if "receipt" in printed else "sample" if printed else None

    # -- choosing ------------------------------------------------------------------------------------
    def choose(self, target: Target) -> None:
        self.begin("service")
        self.session.target = target
        self.session.form = {f.key: None for f in target.form}
        self.session.form_errors = {}
        self.visit(Step.GUIDE)

    def visit(self, step: Step | str) -> None:
        self.session.visited.append(str(step))

    # -- identity ------------------------------------------------------------------------------------
    def identity_read(self, identity: Identity) -> bool:
        """A card (or QR) gave an identity. False when it is another person's card mid-session (ends it)."""
        current, principal = self.session.identity, self.session.principal
        if principal is not None and principal.id_number == identity.id_number:
            return True  # the principal's card placed again: still this session, the agent's
        if current is not None and current.id_number != identity.id_number:
            log.info("another card was placed mid-session: ending the session")
            self.end(EndReason.OTHER_CARD)
            return False
        self.begin("card")
        self.session.identity = identity
        self.session.card_removed_at = None
        self.session.error = None
        self.emit("identity", masked_name=mask_name(identity.name))
        return True

    def card_removed(self) -> None:
        """The card left the reader. Before submission the resident has ``card_grace_s`` to put it back."""
        if self.session.identity is None or self.session.target is None or self.session.submission is not None:
            return  # no application under way (a progress lookup by card): nothing to pause
        if self.session.held:
            return  # handed to the kiosk (kept until the disk has room): the card is no longer needed
        if self.session.for_other and self.verified:
            return  # 代办: the agent's card leaves for the principal's; the idle timer still ends a walk-away
        self.session.card_removed_at = self._clock()
        self.emit("card_removed", grace_s=self.card_grace_s)

    def card_grace_left(self) -> float | None:
        if self.session.card_removed_at is None:
            return None
        return max(0.0, self.card_grace_s - (self._clock() - self.session.card_removed_at))

    def tick(self) -> None:
        """Called about once a second: ends a session whose card was not put back in time."""
        left = self.card_grace_left()
        if left is not None and left <= 0:
            self.end(EndReason.CARD_REMOVED)

    def face_captured(self, jpeg: bytes) -> None:
        self.session.face_jpeg = jpeg

    def verify(self) -> None:
        """The platform's real-name check (identity + live face), then the application with its e-certificates."""
        identity = self.session.identity
        if identity is None:
            raise RuntimeError("no identity to verify")
        face, generation = self.session.face_jpeg, self._generation
        self._run_async(lambda: self._verify(generation, lambda rs: rs.verify_card(identity, face_jpeg=face)))

    def identify_by_qr(self, payload: str) -> None:
        """Identity from a phone code: verified by the platform in one step (the phone did the liveness check)."""
        from kiosk.applications.qr_kind import QrKind, qr_kind

        generation = self._generation
        kind = qr_kind(payload)  # e-ID or e-社保卡 by the payload; a receipt is refused with a pointer to 查询进度
        method = "receipt_qr" if kind is QrKind.RECEIPT else kind.value
        self._run_async(lambda: self._verify(generation, lambda rs: rs.verify_qr(method, payload)))

    def _verify(self, generation: int, check: Callable[[ResidentSession], VerificationOutcome]) -> None:
        from kiosk.applications.verification import refused

        apps = self.apps
        resident = self.session.resident or (apps.new_session() if apps is not None else None)
        application = None
        if resident is None:
            outcome = refused("platform_unavailable")
        else:
            outcome = check(resident)  # never raises for a platform problem: a refusal with a reason
            if outcome.verified and not self.session.for_other:  # 代办: the application waits for the principal
                application = self._start_application(resident)
        if generation != self._generation:
            return
        if not outcome.verified:
            log.info("real-name check refused: %s", outcome.reason)
            self.emit("verified", ok=False, reason=outcome.reason)
            return
        if application is not None and not application.route.accepted:
            # 社区通办 does not cover this resident's registration: say where to go now, not at submission
            log.info("not accepted here: route %s", application.route.kind)
            if resident is not None:
                resident.end()
            self.emit("verified", ok=False, reason="not_here", message=application.route.explanation)
            return
        self.session.resident, self.session.verification = resident, outcome
        if self.session.identity is None:  # a phone code: the platform says whose it is
            self.session.identity = outcome.identity
        self._use_application(application)
        self.emit("verified", ok=True, reason=None)

    @staticmethod
    def plain_reason(reason: str | None) -> str:
        return PLAIN_REASONS.get(reason or "", _NOT_CONFIRMED)

    def _start_application(self, resident: ResidentSession, principal: Identity | None = None) -> Application:
        target = self._target()
        if target.kind == "bundle":
            return resident.start_application(bundle_code=target.code, principal=principal)
        return resident.start_application(item_code=target.code, principal=principal)

    # -- 帮办代办: the agent identifies (as any resident), then the principal ---------------------------
    @property
    def agent_allowed(self) -> bool:
        """Whether the chosen service may be done for someone else (catalog ``agent_allowed``, every item)."""
        target = self.session.target
        return target is None or all(item.agent_allowed for item in target.items)

    def apply_for_other(self, yes: bool) -> str | None:
        """本人办理 (False) or 代他人办理 (True), chosen before identifying; a message id when not allowed."""
        if yes and not self.agent_allowed:
            return AGENT_NOT_ALLOWED
        if self.verified:
            return None  # chosen before the check: the application is already started for one of them
        self.session.for_other = yes
        return None

    @property
    def awaiting_principal(self) -> bool:
        s = self.session
        return s.for_other and self.verified and s.principal is None

    @property
    def applicant(self) -> Identity | None:
        """Whom the application is for: the principal when an agent applies, else the identified resident."""
        return self.session.principal or self.session.identity

    def after_verified(self) -> str:
        """The screen after the real-name check: the principal's for an agent, else the materials."""
        return "principal" if self.awaiting_principal else "materials"

    def scan_principal_qr(self) -> None:
        """The principal's e-ID code on the agent's phone: the platform says whose it is (a check of its own,
        its token never used for the application), then :meth:`set_principal`; ``principal`` events report."""
        from kiosk.applications.qr_kind import QrKind, qr_kind

        generation = self._generation

        def checked(outcome: VerificationOutcome) -> None:
            if generation != self._generation:
                return
            if outcome.verified and outcome.identity is not None:
                self.set_principal(outcome.identity)
            else:
                self.emit("principal", ok=False, message=self.plain_reason(outcome.reason))

        def scanned(done: Completion) -> None:
            if not done.ok:
                self.emit("qr_failed", code=str(done.code))
                return
            self.emit("qr_read")
            payload = done.value[0].text
            kind = qr_kind(payload)
            method = "receipt_qr" if kind is QrKind.RECEIPT else kind.value

            def work() -> None:
                from kiosk.applications.verification import refused

                apps = self.apps
                if apps is None:
                    outcome = refused("platform_unavailable")
                else:
                    check = apps.new_session()
                    outcome = check.verify_qr(method, payload)
                    check.end()
                self.dispatch(lambda: checked(outcome))

            self._run_async(work)

        wait = 60 * self.timeout_factor
        if not self._camera_command("identity_qr", lambda camera: camera.scan_qr(timeout=wait), scanned):
            self.emit("qr_failed", code="no_device")

    def enter_principal(self, name: str, id_number: str) -> str | None:
        """A principal who is not here, typed in by the agent: a message id when the entry is not usable
        (the check digit is validated), else :meth:`set_principal` (whose ``principal`` event reports)."""
        from drivers.identity import CardType, Source, id_number_valid

        name, number = name.strip(), id_number.strip().upper()
        if not name:
            return PRINCIPAL_NAME_MISSING
        if len(number) != 18 or not number[:17].isdigit():
            return PRINCIPAL_ID_LENGTH
        if not id_number_valid(number):
            return PRINCIPAL_ID_INVALID
        self.set_principal(Identity(source=Source.ENTERED, card_type=CardType.RESIDENT, name=name, id_number=number))
        return None

    def set_principal(self, identity: Identity) -> None:
        """The application starts, for the principal, on the agent's check (``kiosk apply``'s path: one code
        path); ``principal`` with ``ok`` (and ``message``, a message id or the route's words, when refused)."""
        resident = self.session.resident
        if resident is None or not self.verified or self.session.identity is None:
            raise RuntimeError("the agent is not identified yet")
        if identity.id_number.upper() == self.session.identity.id_number.upper():
            self.emit("principal", ok=False, message=PRINCIPAL_IS_AGENT)
            return
        if not self.agent_allowed:
            self.emit("principal", ok=False, message=AGENT_NOT_ALLOWED)
            return
        try:
            application = self._start_application(resident, principal=identity)
        except ValueError as refused:  # e.g. a permit number the application refuses
            self.emit("principal", ok=False, message=str(refused))
            return
        if not application.route.accepted:
            self.emit("principal", ok=False, message=application.route.message)
            return
        self.session.principal = identity
        self._use_application(application)
        log.info("agent application for %s", pseudonym(identity.id_number))
        self.emit("principal", ok=True, masked_name=mask_name(identity.name))

    def sign_authorisation(self, signature_png: bytes) -> None:
        """The 授权委托书 signed on the screen by the principal: the letter with the signature, as its file."""
        from kiosk.applications.authorisation import signed_letter

        s, app = self.session, self._application()
        if s.principal is None or s.identity is None:
            raise RuntimeError("no principal")
        apps = self.apps
        today = apps.now().date() if apps is not None else dt.date.today()
        letter = signed_letter(s.principal, s.identity, self._target().name, signature_png, today)
        app.provide_file(AUTHORISATION, letter, "image/png")

    def authorisation_text(self) -> str:
        """The letter's words for the screen, masked (a passer-by may read along)."""
        s = self.session
        if s.principal is None or s.identity is None:
            return ""
        return (f"{mask_name(s.principal.name)}（{mask_id_number(s.principal.id_number)}）→ "
                f"{mask_name(s.identity.name)}（{mask_id_number(s.identity.id_number)}）：{self._target().name}")

    def _use_application(self, application: Application | None) -> None:
        """The application's slots are the materials: e-certificates already provided (一证通办)."""
        self.session.application = application

    @property
    def verified(self) -> bool:
        v = self.session.verification
        return v is not None and v.verified

    # -- materials -----------------------------------------------------------------------------------
    def material(self, code: str) -> MaterialSlot:
        app = self.session.application
        if app is None:
            raise KeyError(code)
        return app.material(code)

    def _application(self) -> Application:
        if self.session.application is None:
            raise RuntimeError("no application yet: the real-name check starts it")
        return self.session.application

    def capture(self, code: str, jpeg: bytes) -> None:
        self._application().provide_file(code, jpeg, "image/jpeg")

    def commit(self, code: str, signature_png: bytes) -> None:
        self._application().commit(code, signature_png)  # MaterialRefused (a ValueError) when not allowed

    def defer(self, code: str) -> None:
        self._application().defer(code)  # MaterialRefused when it may not be supplied later

    def reset_material(self, code: str) -> None:
        if self.material(code).status is not MaterialStatus.CERTIFICATE:
            self._application().clear(code)

    def options(self, slot: MaterialSlot) -> list[str]:
        """What the resident can do for a missing material here, given the devices."""
        out = ["capture"] if self.camera_ok else []
        if slot.code == AUTHORISATION and self.session.principal is not None:
            out.append("sign_letter")  # 代办: the principal signs the 授权委托书 on the screen
        if slot.can_commit:
            out.append("commit")
        if slot.can_defer:
            out.append("defer")
        return out

    def needs_photos_here(self) -> list[str]:
        """Required materials that only a photograph can supply here (no e-certificate, commitment or deferral):
        with the camera out of order, the guide sends the resident to the counter before they identify."""
        target = self._target()
        return [m.name for m in target.materials
                if m.required and not (m.ecert or m.commitment_allowed or m.deferrable)]

    def mark_unavailable(self) -> list[str]:
        """Materials that cannot be supplied here (no camera, no alternative): they point to the counter."""
        codes = []
        for slot in self.session.materials:
            if slot.status is MaterialStatus.MISSING and slot.material.required and not self.options(slot):
                slot.at_counter = True
                codes.append(slot.code)
        return codes

    @property
    def materials_complete(self) -> bool:
        return self.session.application is not None and not any(slot.blocking for slot in self.session.materials)

    @property
    def needs_counter(self) -> bool:
        return any(slot.state == "counter" for slot in self.session.materials)

    # -- form ----------------------------------------------------------------------------------------
    def set_field(self, key: str, value: Any) -> Text | None:
        """Store a value and validate it; the message (or None) is also kept for the screen."""
        from kiosk.catalog import validate_field

        target = self._target()
        spec = next(f for f in target.form if f.key == key)
        self.session.form[key] = value
        message = validate_field(spec, value)
        if message:
            self.session.form_errors[key] = message
        else:
            self.session.form_errors.pop(key, None)
        return message

    def validate_form(self) -> dict[str, Text]:
        for spec in self._target().form:
            self.set_field(spec.key, self.session.form.get(spec.key))
        return dict(self.session.form_errors)

    def prefill_form(self) -> None:
        """Fields the card already answers (the applicant's ID number, name, registered address) are filled in
        for the resident (kiosk.form_input)."""
        from kiosk.form_input import prefill

        prefill(self._target().form, self.applicant, self.session.form)

    # -- confirm and submit --------------------------------------------------------------------------
    def material_label(self, slot: MaterialSlot) -> str | Text:
        """A material's name as the resident reads it: the catalog's; in an application for someone else the
        applicant's identity document says whose it is (an agent reads 申请人身份证件 as their own card)."""
        if slot.material.identity and self.session.for_other:
            return Text.of(N_("{name} (of the person you apply for)"), name=slot.name)
        return slot.name

    def confirm_rows(self) -> list[tuple[str | Text, str, str, str]]:
        """The confirm screen's rows: (label, value, kind, key) with every value whole (the resident checks what
        will be sent; only phone, ID and account numbers stay masked) and what 修改 changes: kind "material"
        (key: its code), "field" (key: the form field) or "" (from the card or the service: not editable here)."""
        s, target = self.session, self._target()
        rows: list[tuple[str | Text, str, str, str]] = [(N_("Service"), target.name, "", "")]
        rows += self._people()
        route = s.application.route if s.application is not None else None
        if route is not None and route.office:
            rows.append((N_("Handled by"), route.office, "", ""))
        for slot in s.materials:
            rows.append((self.material_label(slot), str(slot.state), "material", slot.code))
        for spec in target.form:
            value = s.form.get(spec.key)
            if value in (None, ""):
                continue
            shown = str(value) if str(spec.type) in ("text", "textarea") else mask_value(str(spec.type), str(value))
            rows.append((spec.label, shown, "field", spec.key))
        return rows

    def _people(self) -> list[tuple[str, str, str, str]]:
        """The applicant's rows, and the agent's when one applies for them: masked (张*明, 110101********123X)."""
        s, applicant = self.session, self.applicant
        if applicant is None:
            return []
        rows = [(N_("Applicant"), mask_name(applicant.name), "", ""),
                (N_("ID number"), mask_id_number(applicant.id_number), "", "")]
        if s.principal is not None and s.identity is not None:
            rows += [(N_("Agent"), mask_name(s.identity.name), "", ""),
                     (N_("Agent's ID number"), mask_id_number(s.identity.id_number), "", "")]
        return rows

    def submit(self) -> None:
        """The application goes to the outbox (durable before anything is promised); then up to
        ``deliver_wait_s`` for the platform's number, else the receipt carries the local reference."""
        self._target()
        if not self.materials_complete:
            raise RuntimeError("materials are not complete")
        resident, app = self.session.resident, self.session.application
        if resident is None or app is None:
            raise RuntimeError("no verified application to submit")
        form = {k: v for k, v in self.session.form.items() if v not in (None, "")}
        generation = self._generation

        def work() -> None:
            try:
                app.set_form(form)
                submission = self._store(generation, lambda: resident.submit(app))
            except NotReady as refused:
                log.info("application not ready: %s", refused.readiness.missing_names)
                self._submit_failed(generation, refused.readiness.message, "not_ready")
                return
            except Exception as error:  # the outbox could not store it: nothing was promised
                log.exception("submission failed")
                self._submit_failed(generation, N_("The application could not be saved. Please go to the counter."),
                                    type(error).__name__)
                return
            answered = threading.Event()
            submission.on_change(lambda _sub: answered.set())
            if submission.state == "queued":
                answered.wait(self.deliver_wait_s)
            if generation != self._generation:
                return
            self.session.submission = submission
            queued = submission.application_no is None
            log.info("submitted for %s: %s (queued=%s)", pseudonym(self._who()), submission.number, queued)
            self.emit("submitted", number=submission.number, queued=queued)

        self._run_async(work)

    def _store(self, generation: int, submit: Callable[[], Submission]) -> Submission:
        """``submit`` (the outbox stores the application); on a full disk the application is kept in memory — the
        resident told so, the heartbeat counting it — and stored as soon as there is room, even after the resident
        has gone (it is then delivered like any other)."""
        held = False
        try:
            while True:
                try:
                    return submit()
                except Exception as error:
                    if not storage_full(error):
                        raise
                    if not held:
                        held = True
                        with self._held_lock:
                            self.held += 1
                        log.error("disk full: the application is kept in memory until it can be saved (%s)", error)
                        if generation == self._generation:
                            self.session.held = True
                            self.session.error = N_("This kiosk's storage is full. Your application is kept and "
                                                    "will be saved as soon as there is room. Please wait here.")
                            self.emit("submit_held")
                    time.sleep(STORAGE_RETRY_S)
        finally:
            if held:
                with self._held_lock:
                    self.held -= 1
                if generation == self._generation:
                    self.session.held = False
                log.info("the application kept in memory is saved")

    def _submit_failed(self, generation: int, message: str | Message, detail: str) -> None:
        if generation == self._generation:
            self.session.error = message
            self.emit("submit_failed", detail=detail)

    def evaluate(self, level: int, reasons: Sequence[str], comment: str = "", *, service: str | None = None,
                 application_no: str | None = None) -> None:  # fmt: skip
        """好差评 through the outbox, reasons as codes (``evaluation.reasons``). The service rated: the submission
        (by its number or, while it is queued, the local reference), else ``service`` "progress" (with the
        ``application_no`` looked up, if one), else the guide of the item chosen."""
        from kiosk.applications import EvaluationRefused
        from kiosk.applications.progress import evaluation_problem

        problem = evaluation_problem(level, reasons, comment)
        if problem is not None:
            raise EvaluationRefused(problem)
        sub, target, apps = self.session.submission, self.session.target, self.apps
        self.session.evaluation = level
        if apps is None:
            return

        try:
            if sub is not None and service in (None, "application"):
                if sub.application_no:
                    apps.evaluate(level, list(reasons), comment, application_no=sub.application_no)
                else:
                    apps.evaluate(level, list(reasons), comment, reference=sub.reference)
            elif service == "progress":
                apps.evaluate(level, list(reasons), comment, service="progress", application_no=application_no)
            elif target is not None:
                apps.evaluate(level, list(reasons), comment, service="guide", item_code=target.code)
        except EvaluationRefused as refused:
            log.warning("evaluation not queued: %s", refused)

    def lookup(self, key: str, done: Callable[[Lookup], None]) -> None:
        """Progress of an application (no session needed) by its number or local reference;
        ``done(kiosk.applications.Lookup)`` gets the answer on a worker thread."""
        from kiosk.applications import Lookup
        from kiosk.applications.progress import UNAVAILABLE

        def work() -> None:
            apps = self.apps
            if apps is None:
                done(Lookup("unavailable", UNAVAILABLE))
            else:  # the platform's number or this kiosk's local reference, as typed or scanned
                done(apps.lookup_typed(key))

        self._run_async(work)

    def my_applications(self, done: Callable[[Any], None]) -> None:
        """Progress by identity: the card just read (``identity_read``) is checked by the platform, without
        starting an application, and its holder's applications listed newest first. ``done`` gets a list of
        ``kiosk.applications.Lookup`` or one Lookup saying why there is none (state ``refused``: its message
        is a plain-words message id) on a worker thread; nothing arrives for a session wiped meanwhile."""
        from kiosk.applications import Lookup
        from kiosk.applications.progress import UNAVAILABLE

        identity, generation = self.session.identity, self._generation

        def work() -> None:
            result: Any
            apps = self.apps
            if apps is None or identity is None:
                result = Lookup("unavailable", UNAVAILABLE)
            else:
                resident = apps.new_session()
                try:
                    outcome = resident.verify_card(identity)
                    if outcome.verified:
                        result = resident.my_applications()
                    elif outcome.reason == "platform_unavailable":
                        result = Lookup("unavailable", UNAVAILABLE)
                    else:
                        result = Lookup("refused", self.plain_reason(outcome.reason))
                finally:
                    resident.end()
            if generation == self._generation:
                done(result)

        self._run_async(work)

    # -- the end -------------------------------------------------------------------------------------
    def end(self, reason: EndReason) -> None:
        log.info("session ended: %s", reason)
        self.wipe()
        self.emit("ended", reason=str(reason))

    def wipe(self) -> None:
        """Forget everything personal: the session object, and every screen (through the listeners)."""
        self._generation += 1
        self.cancel_capture()
        self.card_roles = frozenset()
        old = self.session
        for slot in old.materials:
            slot.clear()  # the photographed pages and signatures
        if old.resident is not None:
            old.resident.end()
        old.identity = old.principal = old.face_jpeg = old.verification = old.resident = old.application = None
        old.form.clear()
        self.session = Session()
        for listener in list(self._wipe_listeners):
            try:
                listener()
            except Exception:
                log.exception("a wipe listener failed")
        gc.collect()
        if old.started_by is not None:
            self.session_changed.fire(False)

    # -- helpers -------------------------------------------------------------------------------------
    def _target(self) -> Target:
        if self.session.target is None:
            raise RuntimeError("no service chosen")
        return self.session.target

    def _who(self) -> str:
        return self.session.identity.id_number if self.session.identity else self.session.id


def mask_value(field_type: str, value: str) -> str:
    """How a form value appears on the confirm screen and receipt."""
    if field_type == "phone":
        return mask_phone(value)
    if field_type == "id_number":
        return mask_id_number(value)
    if field_type == "bank_account":
        return "*" * max(0, len(value) - 4) + value[-4:]
    if field_type in ("text", "textarea") and len(value) > 6:
        return value[:6] + "…"
    return value


def _in_place(work: Callable[[], None]) -> None:
    work()


def _thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="journey", daemon=True).start()
