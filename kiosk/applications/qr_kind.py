"""What a phone or paper QR code shown to the kiosk camera is: an e-ID (电子身份证 / 网证), an electronic
social-security card (电子社保卡), or one of our own receipts (progress lookup).

The e-ID and e-社保卡 payloads are the issuing platforms' own formats and are verified only by them
(DOMAIN.md §2): the kiosk looks at the payload's leading marker only to choose the verification method.
A payload no marker recognises is sent as an e-ID, the commonest code residents show.
"""

from __future__ import annotations

from enum import StrEnum

from kiosk.applications.progress_qr import ProgressQrError, parse_progress_qr


class QrKind(StrEnum):
    EID = "eid_qr"
    ESSC = "essc_qr"
    RECEIPT = "receipt"


# Leading markers of each platform's payload. The simulator's are listed; a province adds its platforms'.
ESSC_MARKERS = ("SIMESSC|",)
EID_MARKERS = ("SIMQR|",)


def qr_kind(payload: str) -> QrKind:
    text = payload.strip()
    try:
        parse_progress_qr(text)
    except ProgressQrError:
        pass
    else:
        return QrKind.RECEIPT
    if text.startswith(ESSC_MARKERS):
        return QrKind.ESSC
    return QrKind.EID
