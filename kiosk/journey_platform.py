"""The journey's backend on the real platform client and the durable outbox.

Submission writes the application (files first) to the outbox and returns as soon as it is durable; it then
waits up to ``deliver_wait_s`` for the platform's number. If the number does not come in time (platform
unreachable), the resident gets the kiosk's local reference and the outbox keeps delivering in the background.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from drivers.identity import CardType, Identity, Source
from kiosk.journey import MaterialStatus, ProgressEntry, ProgressView, Session, Submission, Verification
from kiosk.platform import PlatformClient
from kiosk.platform.outbox import Attachment, Outbox, OutboxEvent

log = logging.getLogger(__name__)

_QR_METHOD = "eid_qr"
_PROVIDED_AS = {
    MaterialStatus.PROVIDED: "file",
    MaterialStatus.ECERT: "certificate",
    MaterialStatus.COMMITMENT: "commitment",
    MaterialStatus.DEFERRED: "deferred",
}
OFFLINE_VERIFICATION = "offline-pending"  # the platform re-checks the person when a queued application arrives


class PlatformBackend:
    def __init__(self, client: PlatformClient, outbox: Outbox, default_region: str = "330199",
                 deliver_wait_s: float = 8.0) -> None:
        self.client = client
        self.outbox = outbox
        self.default_region = default_region
        self.deliver_wait_s = deliver_wait_s
        self._delivered: dict[str, dict] = {}
        self._cond = threading.Condition()
        outbox.add_listener(self._on_outbox)

    def _on_outbox(self, event: OutboxEvent) -> None:
        if event.type == "delivered" and event.job is not None:
            with self._cond:
                self._delivered[event.job.reference] = dict(event.job.result or {})
                self._cond.notify_all()

    # -- identity -----------------------------------------------------------------------------------------
    def verify(self, identity: Identity, face_jpeg: bytes | None) -> Verification:
        answer = self.client.verify_identity(method=str(identity.source), id_type=identity.id_type,
                                             id_number=identity.id_number, name=identity.name, face_jpeg=face_jpeg)
        return Verification(answer.verified, answer.verification_id, answer.token, answer.reason)

    def verify_qr(self, payload: str) -> tuple[Verification, Identity | None]:
        answer = self.client.verify_identity(method=_QR_METHOD, qr_payload=payload)
        result = Verification(answer.verified, answer.verification_id, answer.token, answer.reason)
        if not answer.verified or not answer.subject_id_number:
            return result, None
        identity = Identity(Source.EID_QR, CardType.RESIDENT, answer.subject_name or "", answer.subject_id_number)
        return result, identity

    def certificates(self, verification: Verification) -> dict[str, str]:
        if not verification.token:
            return {}
        return {c.code: (c.number or c.code) for c in self.client.certificates(verification.token)}

    # -- submission -------------------------------------------------------------------------------------------
    def application(self, session: Session) -> tuple[list[Attachment], dict]:
        """The contract body and its files for a session (``file_index`` refers to the files list)."""
        target, identity = session.target, session.identity
        if target is None or identity is None:
            raise ValueError("a session needs a service and an identity to submit")
        files: list[Attachment] = []
        materials = []
        for entry in session.materials:
            kind = _PROVIDED_AS.get(entry.status)
            if kind is None:
                continue
            material: dict = {"code": entry.code, "provided_as": kind}
            if entry.status is MaterialStatus.PROVIDED and entry.image:
                files.append(Attachment(entry.image, "image/jpeg"))
                material["file_index"] = len(files) - 1
            elif entry.status is MaterialStatus.COMMITMENT and entry.signature:
                files.append(Attachment(entry.signature, "image/png"))
                material["signature_file_index"] = len(files) - 1
            elif entry.status is MaterialStatus.ECERT:
                material["certificate_number"] = entry.certificate_number or entry.ecert
            materials.append(material)
        region = identity.registration_region or self.default_region
        routed = target.community_routing(region)
        phone = session.form.get("phone")
        body = {
            "verification_id": (session.verification.verification_id if session.verification
                                and session.verification.verification_id else OFFLINE_VERIFICATION),
            "items": [item.code for item in target.items],
            "bundle": target.code if target.kind == "bundle" else None,
            "applicant": {"id_type": identity.id_type, "id_number": identity.id_number, "name": identity.name,
                          "phone": phone if isinstance(phone, str) and phone.isdigit() else None,
                          "region_code": region},
            "agent": None,
            "materials": materials,
            "form": {k: v for k, v in session.form.items() if v not in (None, "")},
            # 社区通办: a resident registered elsewhere is handled by their home region's office
            "handling_region_code": region if routed else self.default_region,
        }
        return files, body

    def submit(self, session: Session) -> Submission:
        files, body = self.application(session)
        reference = self.outbox.enqueue_application(files, body)  # durable before anything is promised
        self.outbox.kick()
        with self._cond:
            self._cond.wait_for(lambda: reference in self._delivered, timeout=self.deliver_wait_s)
            result = self._delivered.pop(reference, None)
        target = session.target
        org = target.items[0].department if target else ""
        if result is None:
            log.info("application %s queued (platform not reached in time)", reference)
            return Submission(reference, None, org, None, queued=True)
        return Submission(reference, result.get("application_no"), result.get("handling_org") or org,
                          result.get("promised_by"), queued=False)

    # -- after ------------------------------------------------------------------------------------------------
    def progress(self, number: str) -> ProgressView | None:
        answer = self.client.progress(number) if number.startswith("TB") else None
        if answer is None and not number.startswith("TB"):
            answer = self.client.progress_by_reference(number)
            if answer is None and self.outbox.lookup(number) is not None:
                return ProgressView(number, "queued", (), None)
        if answer is None:
            return None
        history = tuple(ProgressEntry(h.at.isoformat(timespec="minutes"), h.status, h.note) for h in answer.history)
        promised = answer.promised_by.isoformat() if answer.promised_by else None
        return ProgressView(answer.application_no, answer.status, history, promised, answer.handling_org)

    def evaluate(self, number: str, level: int, reasons: Sequence[str]) -> None:
        if number.startswith("TB"):
            self.outbox.enqueue_evaluation(level, list(reasons), application_no=number)
        else:
            self.outbox.enqueue_evaluation(level, list(reasons), local_reference=number)
