"""Real-name check of the person at the kiosk (contract endpoint 1), as one typed outcome for the UI.

A refusal is an answer, never an exception: the platform's reasons, and the kiosk's own (platform
unreachable, answer unreadable, credentials refused), each come with a plain-words message for the screen
(Chinese; the UI passes it through gettext). Nothing personal is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from drivers.identity import CardType, Identity, Source
from kiosk.platform import CredentialError, MalformedAnswer, PlatformClient, PlatformError, RetryableError

log = logging.getLogger(__name__)

# Platform reasons (contract: face_mismatch, card_invalid, qr_expired, …) and the kiosk's own.
REASONS: dict[str, str] = {
    "face_mismatch": "人脸比对未通过。请摘下帽子、口罩，正对摄像头重新拍照；仍不通过请到人工窗口办理。",
    "card_invalid": "证件状态异常（可能已挂失或失效），请到人工窗口核实。",
    "qr_expired": "二维码已过期，请在手机上刷新后重新扫码。",
    "qr_invalid": "无法识别该二维码，请出示电子身份证或电子社保卡二维码。",
    "qr_receipt": (
        "这是办事回执上的二维码。查询办理进度请回到首页点「查询进度」；核验身份请出示电子身份证或电子社保卡二维码。"
    ),
    "no_record": "未查询到您的身份信息，请到人工窗口办理。",
    "name_mismatch": "姓名与证件号码不一致，请核对证件。",
    "platform_unavailable": "暂时无法连接政务服务平台，请稍后再试。",
    "platform_error": "政务服务平台答复异常，请稍后再试或到人工窗口办理。",
    "kiosk_suspended": "本机暂停服务，已通知工作人员，请到人工窗口办理。",
    "too_many_attempts": "核验未通过次数过多，请到人工窗口办理。",
}
UNKNOWN_REASON = "身份核验未通过，请到人工窗口办理。"
QR_METHODS = ("eid_qr", "essc_qr")


@dataclass(frozen=True, repr=False)
class VerificationOutcome:
    verified: bool
    reason: str | None = None  # machine code when refused
    message: str = ""  # plain words for the screen when refused
    verification_id: str | None = None
    token: str | None = None
    expires_at: dt.datetime | None = None
    identity: Identity | None = None  # who was verified (from the card, or the platform's subject for a QR)
    retryable: bool = False  # the platform could not be asked; the same check may work later

    def valid_at(self, now: dt.datetime) -> bool:
        return self.verified and self.expires_at is not None and now < self.expires_at

    def __repr__(self) -> str:  # never the token or the person
        return f"VerificationOutcome(verified={self.verified}, reason={self.reason!r})"


def refused(reason: str, *, retryable: bool = False) -> VerificationOutcome:
    return VerificationOutcome(False, reason, REASONS.get(reason, UNKNOWN_REASON), retryable=retryable)


def _id_type_of(number: str) -> CardType:
    """For a QR subject: the permit prefixes (81/82/83) and foreigners' 9… numbers; the rest are residents."""
    if number[:2] in ("81", "82", "83"):
        return CardType.HMT_PERMIT
    if number[:1] == "9" or not number[:1].isdigit():
        return CardType.FOREIGN_PERMANENT_2023
    return CardType.RESIDENT


def verify(
    client: PlatformClient,
    now: dt.datetime,
    *,
    identity: Identity | None = None,
    qr_method: str | None = None,
    qr_payload: str | None = None,
    face_jpeg: bytes | None = None,
) -> VerificationOutcome:
    """One call to the platform's real-name check; every failure becomes a refusal with a reason."""
    if (identity is None) == (qr_payload is None):
        raise ValueError("give a card identity or a QR payload")
    if qr_method == "receipt_qr":  # kiosk.applications.qr_kind recognised one of our receipts: no identity in it
        return refused("qr_receipt")
    try:
        if identity is not None:
            answer = client.verify_identity(
                method=identity.source.value if identity.source in (Source.ID_CARD, Source.SOCIAL_SECURITY_CARD)
                else "idcard",
                id_type=identity.id_type,
                id_number=identity.id_number,
                name=identity.name or identity.name_en or "",
                face_jpeg=face_jpeg,
            )
        else:
            if qr_method not in QR_METHODS:
                raise ValueError(f"qr_method must be one of {QR_METHODS}")
            answer = client.verify_identity(method=qr_method, qr_payload=qr_payload, face_jpeg=face_jpeg)
    except CredentialError as exc:
        log.error("identity check: kiosk credentials refused: %s", exc.summary())
        return refused("kiosk_suspended")
    except MalformedAnswer as exc:
        log.warning("identity check: malformed platform answer: %s", exc.summary())
        return refused("platform_error", retryable=True)
    except RetryableError as exc:
        log.warning("identity check: platform unreachable: %s", exc.summary())
        return refused("platform_unavailable", retryable=True)
    except PlatformError as exc:  # 4xx: the request itself was refused (e.g. a QR too long)
        log.warning("identity check refused: %s", exc.summary())
        return refused("qr_invalid" if qr_payload is not None else "platform_error")
    if not answer.verified:
        log.info("identity check refused: %s", answer.reason)
        return refused(answer.reason or "")
    assert answer.subject_id_number is not None and answer.subject_name is not None
    if identity is not None:
        if answer.subject_id_number.upper() != identity.id_number.upper():
            log.warning("identity check: the platform verified another person than the card's; refused")
            return refused("platform_error")
        person = identity
    else:
        source = Source.EID_QR if qr_method == "eid_qr" else Source.ESSC_QR
        person = Identity(
            source=source,
            card_type=_id_type_of(answer.subject_id_number),
            name=answer.subject_name,
            id_number=answer.subject_id_number,
        )
    expires = now + dt.timedelta(seconds=answer.expires_in or 0)
    return VerificationOutcome(
        True,
        verification_id=answer.verification_id,
        token=answer.token,
        expires_at=expires,
        identity=person,
    )
