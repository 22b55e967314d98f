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
from kiosk.i18n import N_
from kiosk.platform import CredentialError, MalformedAnswer, PlatformClient, PlatformError, RetryableError

log = logging.getLogger(__name__)

# Platform reasons (contract: face_mismatch, card_invalid, qr_expired, …) and the kiosk's own.
REASONS: dict[str, str] = {  # message ids: the screen and ``kiosk apply`` translate them
    "face_mismatch": N_("The photo does not match the card. Please take off a hat or mask, face the camera and try "
                        "again; if it still fails, please go to the counter."),
    "card_invalid": N_("This card cannot be used (it may be reported lost or no longer valid). Please go to the "
                       "counter."),
    "qr_expired": N_("The code has expired. Please refresh it on your phone and scan again."),
    "qr_invalid": N_("This code cannot be read. Please show the code of your electronic ID card or social security "
                     "card."),
    "qr_receipt": N_("This is the code on a receipt. To see an application's progress, go back to the home screen and "
                     "touch Track an application; to prove who you are, show the code of your electronic ID card "
                     "or social security card."),
    "no_record": N_("Your identity was not found. Please go to the counter."),
    "name_mismatch": N_("The name does not match the ID number. Please check the card."),
    "platform_unavailable": N_("The service platform cannot be reached right now. Please try again later."),
    "platform_error": N_("The service platform gave an unexpected answer. Please try again later, or go to the "
                         "counter."),
    "kiosk_suspended": N_("This machine is paused and the staff have been told. Please go to the counter."),
    "too_many_attempts": N_("Too many failed checks. Please go to the counter."),
}
UNKNOWN_REASON = N_("We could not confirm who you are. Please go to the counter.")
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
