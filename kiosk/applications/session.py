"""The objects the journey holds: :class:`ApplicationOffice` (one per running platform client and outbox; the core
builds a new one when the hardware restarts) and :class:`ResidentSession` (one per resident, from identification
to the receipt). In order::

    office = ApplicationOffice(settings=…, catalog=…, client=…, outbox=…, printer=…, holiday_tables=…)
    session = office.new_session()
    outcome = session.verify_card(identity, face_jpeg=jpeg)      # or session.verify_qr("eid_qr", payload)
    app = session.start_application(item_code=…)                 # or bundle_code=…, principal=Identity (代办)
    app.provide_file(…) / app.commit(…) / app.defer(…) / app.set_field(…); app.check()
    sub = session.submit(app)                                    # "submitted" only after this returns
    printed = office.print_receipt(sub)                          # printed.png when it did not print
    session.end()
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from drivers.identity import Identity
from drivers.printer import Receipt, ThermalPrinter
from kiosk import clock
from kiosk.applications import progress
from kiosk.applications.application import Application, NotReady, build_application
from kiosk.applications.materials import MaterialStatus
from kiosk.applications.receipt import PrintOutcome, build_receipt, print_receipt
from kiosk.applications.routing import ResidentPlace, Route, RouteKind, Router
from kiosk.applications.submission import MaterialLine, Submission
from kiosk.applications.verification import VerificationOutcome, refused, verify
from kiosk.catalog import Catalog, Item
from kiosk.config.schema import Settings
from kiosk.i18n import N_
from kiosk.platform import PlatformClient, PlatformError
from kiosk.platform.answers import Certificate
from kiosk.platform.outbox import Outbox, OutboxEvent
from kiosk.privacy import mask_id_number, mask_name
from kiosk.workdays import Tables, add_working_days

log = logging.getLogger(__name__)

MAX_VERIFY_ATTEMPTS = 3
CERTIFICATES_UNAVAILABLE = N_("Your e-certificates cannot be fetched right now. Please provide the materials as shown.")


class SessionError(Exception):
    """A call out of order (e.g. applying before a verified identity); ``str()`` is the message id for the screen
    (translate it with ``kiosk.i18n``)."""


class ApplicationOffice:
    """The kiosk's applications desk on the platform: resident sessions, routing, receipts (printed or shown),
    progress lookups and 好差评, over one platform client, outbox and receipt printer."""

    def __init__(
        self,
        *,
        settings: Settings,
        catalog: Catalog,
        client: PlatformClient,
        outbox: Outbox,
        printer: ThermalPrinter | None = None,
        holiday_tables: Tables | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.settings, self.catalog, self.client, self.outbox = settings, catalog, client, outbox
        self.printer = printer
        self.tables = holiday_tables or {}
        self.now = now or clock.now
        self.router = Router(settings.routing)
        self._tracked: dict[str, Submission] = {}
        self._lock = threading.Lock()
        outbox.add_listener(self._on_outbox)

    def new_session(self) -> ResidentSession:
        return ResidentSession(self)

    # -- routing before an application exists (what the item screen shows) ---------------------------------

    def items_of(self, item_code: str | None = None, bundle_code: str | None = None) -> tuple[list[Item], Any]:
        if (item_code is None) == (bundle_code is None):
            raise ValueError("give exactly one of item_code and bundle_code")
        if bundle_code is not None:
            bundle = self.catalog.bundle(bundle_code)
            return list(bundle.resolved_items), bundle
        assert item_code is not None
        return [self.catalog.item(item_code)], None

    def route(
        self, resident: ResidentPlace | str | None, *, item_code: str | None = None, bundle_code: str | None = None
    ) -> Route:
        items, _ = self.items_of(item_code, bundle_code)
        return self.router.route(items, resident)

    # -- receipts ---------------------------------------------------------------------------------------------

    def receipt(self, sub: Submission, t: Callable[[str], str] | None = None) -> Receipt:
        """Chinese (the printed document) unless ``t`` gives the screen's language."""
        return build_receipt(
            sub,
            site_name=self.settings.kiosk.site_name,
            kiosk_id=sub.kiosk_id or self.settings.kiosk.id,
            hotline=self.settings.routing.hotline,
            t=t,
        )

    def print_receipt(self, sub: Submission, *, timeout: float = 30.0) -> PrintOutcome:
        return print_receipt(self.printer, self.receipt(sub), timeout=timeout)

    # -- progress and evaluation ------------------------------------------------------------------------------

    def lookup_number(self, application_no: str) -> progress.Lookup:
        return progress.by_number(self.client, application_no)

    def lookup_reference(self, reference: str) -> progress.Lookup:
        return progress.by_reference(self.client, self.outbox, reference)

    @property
    def reference_prefix(self) -> str:
        """What this kiosk's local references start with: ``<kiosk id>-<outbox instance>``."""
        return f"{self.outbox.kiosk_id}-{self.outbox.instance}"

    def lookup_typed(self, text: str) -> progress.Lookup:
        """Either number a resident typed (``progress.typed_key``): the platform's or this kiosk's reference."""
        try:
            key = progress.typed_key(text, self.reference_prefix)
        except ValueError:
            return progress.Lookup("invalid", progress.BAD_NUMBER)
        if key.application_no:
            return self.lookup_number(key.application_no)
        assert key.reference is not None
        return self.lookup_reference(key.reference)

    def lookup_qr(self, text: str) -> progress.Lookup:
        return progress.by_qr(self.client, self.outbox, text)

    def evaluate(self, level: int, reasons: tuple[str, ...] | list[str] = (), comment: str = "", *,
                 application_no: str | None = None, reference: str | None = None, service: str = "application",
                 item_code: str | None = None) -> str:  # fmt: skip
        """好差评; reasons are codes of ``evaluation.reasons`` (the national dimensions), never labels."""
        known = self.settings.evaluation.reasons
        return progress.evaluate(
            self.outbox, level, reasons, comment, application_no=application_no, reference=reference,
            service=service, item_code=item_code, known_reasons=known,
        )

    # -- delivery callbacks -----------------------------------------------------------------------------------

    def _track(self, sub: Submission) -> None:
        with self._lock:
            self._tracked[sub.reference] = sub
        job = self.outbox.lookup(sub.reference)  # delivered before we started listening?
        if job is not None and job.state != "pending":
            self._settle(job.reference, job.state, job.result)

    def _on_outbox(self, event: OutboxEvent) -> None:
        if event.job is not None and event.job.kind == "application" and event.type in ("delivered", "failed"):
            self._settle(event.job.reference, event.job.state, event.job.result)

    def _settle(self, reference: str, state: str, result: Mapping[str, Any] | None) -> None:
        with self._lock:
            sub = self._tracked.pop(reference, None)
        if sub is None:
            return
        if state == "delivered" and result:
            sub.delivered(str(result["application_no"]), result.get("handling_org"), result.get("promised_by"))
        elif state == "failed":
            sub.failed()


class ResidentSession:
    def __init__(self, services: ApplicationOffice) -> None:
        self.services = services
        self.verification: VerificationOutcome | None = None
        self.certificates: tuple[Certificate, ...] = ()
        self.certificates_problem: str | None = None
        self.attempts = 0
        self.submissions: list[Submission] = []

    @property
    def resident(self) -> Identity | None:
        v = self.verification
        return v.identity if v is not None and v.verified else None

    # -- identity -----------------------------------------------------------------------------------------

    def verify_card(self, identity: Identity, *, face_jpeg: bytes | None = None) -> VerificationOutcome:
        """The real-name check for a card read (ID or social-security card) and the live face if any."""
        return self._verify(identity=identity, face_jpeg=face_jpeg)

    def verify_qr(self, method: str, payload: str, *, face_jpeg: bytes | None = None) -> VerificationOutcome:
        """The same for a phone's 电子身份证 (``eid_qr``) or 电子社保卡 (``essc_qr``) code (``qr_kind`` tells which;
        ``receipt_qr``, one of our receipts, is refused with a pointer to 查询进度)."""
        return self._verify(qr_method=method, qr_payload=payload, face_jpeg=face_jpeg)

    def _verify(self, **kwargs: Any) -> VerificationOutcome:
        if self.verification is not None and self.verification.verified:
            return self.verification  # one check per session: the token serves every later call
        if self.attempts >= MAX_VERIFY_ATTEMPTS:
            return refused("too_many_attempts")
        self.attempts += 1
        outcome = verify(self.services.client, self.services.now(), **kwargs)
        self.verification = outcome
        if outcome.verified:
            self._load_certificates()
        return outcome

    def _load_certificates(self) -> None:
        assert self.verification is not None and self.verification.token is not None
        try:
            self.certificates = tuple(self.services.client.certificates(self.verification.token))
            self.certificates_problem = None
        except PlatformError as exc:  # 一证通办 is a convenience: without it the resident supplies materials
            log.warning("certificates unavailable: %s", exc.summary())
            self.certificates, self.certificates_problem = (), CERTIFICATES_UNAVAILABLE

    def _verified(self) -> VerificationOutcome:
        v = self.verification
        if v is None or not v.verified or v.identity is None or v.verification_id is None:
            raise SessionError(N_("Please verify your identity first."))
        return v

    # -- applying -----------------------------------------------------------------------------------------

    def start_application(
        self, *, item_code: str | None = None, bundle_code: str | None = None, principal: Identity | None = None
    ) -> Application:
        """An application for one item or one bundle, for the verified resident or (代办) for ``principal``."""
        v = self._verified()
        assert v.identity is not None and v.verification_id is not None
        items, bundle = self.services.items_of(item_code, bundle_code)
        applicant = principal or v.identity
        route = self.services.router.route(items, ResidentPlace.of(applicant))
        return build_application(
            items=items,
            bundle=bundle,
            resident=v.identity,
            verification_id=v.verification_id,
            certificates=self.certificates,
            route=route,
            principal=principal,
            today=self.services.now().date(),
        )

    def submit(self, app: Application) -> Submission:
        """Queue the application durably; the resident is told "submitted" only when this returns.

        Raises :class:`NotReady` (with the readiness: missing materials, field errors, route refusal).
        """
        self._verified()
        now = self.services.now()
        readiness = app.check(today=now.date())
        if not readiness.ok:
            raise NotReady(readiness)
        files, body = app.request(now)
        reference = self.services.outbox.enqueue_application(files=files, application=body)
        promised, approximate = add_working_days(now.date(), app.promised_days, self.services.tables)
        sub = Submission(
            reference=reference,
            submitted_at=now,
            title=app.title,
            item_names=tuple(i.name for i in app.items),
            is_bundle=app.bundle is not None,
            applicant_name=mask_name(app.applicant.name or app.applicant.name_en or ""),
            applicant_id=mask_id_number(app.applicant.id_number),
            agent_name=mask_name(app.agent.name or app.agent.name_en or "") if app.agent else None,
            agent_id=mask_id_number(app.agent.id_number) if app.agent else None,
            office=app.route.office,
            route_kind=app.route.kind.value,
            materials=tuple(
                MaterialLine(s.name, s.status.value)
                for s in app.materials
                if s.status is not MaterialStatus.MISSING
            ),
            promised_by=promised,
            approximate=approximate,
            immediate=app.promised_days == 0,
            next_steps=_next_steps(app),
            consult_phone=_consult_phone(app, self.services.settings.routing.hotline),
            progress_url=self.services.settings.platform.progress_url,
            kiosk_id=self.services.outbox.kiosk_id,
        )
        log.info("application %s queued (%s, route %s)", reference, app.item_codes, app.route.kind)
        self.submissions.append(sub)
        self.services._track(sub)
        return sub

    # -- lookup by identity -------------------------------------------------------------------------------

    def my_applications(self) -> list[progress.Lookup] | progress.Lookup:
        """The verified resident's applications (newest first), or one Lookup saying why there are none."""
        v = self._verified()
        assert v.identity is not None and v.token is not None
        if not v.valid_at(self.services.now()):
            expired = N_("Your identity check has expired. Please put your card on the reader again.")
            return progress.Lookup("invalid", expired)
        try:
            found = self.services.client.applications_of(v.identity.id_number, v.token)
        except PlatformError as exc:
            log.warning("applications of the resident: %s", exc.summary())
            return progress.Lookup("unavailable", progress.UNAVAILABLE)
        return [progress._from_progress(p) for p in found]

    def end(self) -> None:
        """Forget the resident: identity, token, certificates (submissions keep masked data only)."""
        self.verification = None
        self.certificates = ()
        self.certificates_problem = None


def _next_steps(app: Application) -> tuple[str, ...]:
    steps = []
    deferred = [s.name for s in app.materials if s.status is MaterialStatus.DEFERRED]
    committed = [s.name for s in app.materials if s.status is MaterialStatus.COMMITMENT]
    if deferred:
        steps.append("容缺受理：请在办理机构通知的期限内补交待补充材料（" + "、".join(deferred) + "）。")
    if committed:
        steps.append("您已对" + "、".join(committed) + "作出书面承诺；办理机构将核查，承诺不实将承担相应责任。")
    if app.shared:
        steps.append("、".join(app.shared) + "由本件事中先办的事项出具，办理机构直接共享，无需您提供。")
    if app.route.kind is RouteKind.COMMUNITY:
        steps.append(f"本申请属社区通办，将转至{app.route.office}办理。")
    if app.agent is not None:
        steps.append("本申请由代办人办理，办理结果将通知申请人本人。")
    if app.promised_days == 0:
        steps.append("即办件：办理结果将以短信通知。")
    else:
        steps.append("办理过程中如需补充材料，将以短信通知。")
    steps.append("扫描下方二维码或在任一通办终端输入编号，可查询进度并评价服务。")
    return tuple(steps)


def _consult_phone(app: Application, hotline: str) -> str:
    phones = list(dict.fromkeys(i.consult_phone for i in app.items))
    return "、".join(phones[:3]) if phones else hotline
