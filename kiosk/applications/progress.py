"""Progress lookup and 好差评 as answers for the screen: never an exception for a platform problem."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from kiosk.applications.progress_qr import ProgressKey, ProgressQrError, parse_progress_qr
from kiosk.i18n import N_, Text
from kiosk.platform import PlatformClient, PlatformError
from kiosk.platform.answers import Progress
from kiosk.platform.outbox import Outbox

log = logging.getLogger(__name__)

# Message ids (the screen and ``kiosk progress`` translate them).
STATUS_LABELS = {
    "accepted": N_("Accepted"),
    "in_review": N_("In review"),
    "need_more": N_("More materials needed"),
    "approved": N_("Approved"),
    "rejected": N_("Not approved"),
    "completed": N_("Completed"),
}
LEVELS = {
    5: N_("Very satisfied"),
    4: N_("Satisfied"),
    3: N_("Fairly satisfied"),
    2: N_("Dissatisfied"),
    1: N_("Very dissatisfied"),
}
UNAVAILABLE = N_("The service platform cannot be reached right now. Please try again later.")
BAD_NUMBER = N_("This is not a receipt number. Please check it and type it again.")
NOT_A_RECEIPT_CODE = N_("This is not a Tongban receipt code.")


@dataclass(frozen=True)
class Lookup:
    """``state``: ``platform`` (progress from the platform), ``queued`` (still in this kiosk's outbox),
    ``failed`` (kept for staff), ``not_found``, ``unavailable`` (platform unreachable) or ``invalid``."""

    state: str
    message: str | Text  # a message id, or one with the status in it
    progress: Progress | None = None
    application_no: str | None = None
    reference: str | None = None

    @property
    def found(self) -> bool:
        return self.state in ("platform", "queued", "failed")

    @property
    def status_label(self) -> str | None:
        """The status's message id (None for one the platform added since)."""
        return STATUS_LABELS.get(self.progress.status) if self.progress else None


class EvaluationRefused(ValueError):
    """``str()`` is the message id for the screen (translate it with ``kiosk.i18n``)."""


COMMENT_MAX = 500


def evaluation_problem(level: object, reasons: Sequence[str] = (), comment: str = "",
                       known_reasons: tuple[str, ...] | None = None) -> str | None:  # fmt: skip
    """The 好差评 rule, checked here only (the screen, the journey, the outbox and ``kiosk apply`` ask it): five
    levels, at least one reason for the two lowest, reasons from the list, a comment of at most 500 characters.
    None when the evaluation may be sent, else the message id saying what is missing."""
    if not (isinstance(level, int) and not isinstance(level, bool) and level in LEVELS):
        return N_("Choose how satisfied you are.")
    given = [r.strip() for r in reasons if r and r.strip()]
    if level <= 2 and not given:
        return N_("Choose at least one reason why you are not satisfied.")
    if known_reasons is not None and any(r not in known_reasons for r in given):
        return N_("Choose the reasons from the list.")
    if len(comment) > COMMENT_MAX:
        return N_("A comment can have at most 500 characters.")
    return None


def _from_progress(progress: Progress | None, reference: str | None = None) -> Lookup:
    if progress is None:
        return Lookup("not_found", N_("No application with this number. Please check it."), reference=reference)
    label = STATUS_LABELS.get(progress.status)
    status = Text(label) if label is not None else progress.status  # a status the platform added since: as sent
    message = Text.of(N_("Status: {status}"), status=status)
    return Lookup("platform", message, progress, progress.application_no, reference)


def by_number(client: PlatformClient, application_no: str) -> Lookup:
    try:
        key = ProgressKey(application_no=application_no.strip().upper())
    except ProgressQrError:
        return Lookup("invalid", BAD_NUMBER)
    try:
        return _from_progress(client.progress(key.application_no or ""))
    except PlatformError as exc:
        log.warning("progress lookup failed: %s", exc.summary())
        return Lookup("unavailable", UNAVAILABLE, application_no=key.application_no)


def by_reference(client: PlatformClient, outbox: Outbox | None, reference: str) -> Lookup:
    """The outbox first (queued, failed or delivered here; none for ``kiosk progress`` off the kiosk), then the
    platform's ``?client_reference=``."""
    try:
        ProgressKey(reference=reference)
    except ProgressQrError:
        return Lookup("invalid", BAD_NUMBER)
    job = outbox.lookup(reference) if outbox is not None else None
    if job is not None and job.kind == "application":
        if job.state == "pending":
            message = N_("Your application is saved in this machine and is being sent to the service platform.")
            return Lookup("queued", message, reference=reference)
        if job.state == "failed":
            message = N_("Your application could not be sent yet. The staff will see to it; please ask them.")
            return Lookup("failed", message, reference=reference)
        if job.application_no:
            lookup = by_number(client, job.application_no)
            return Lookup(lookup.state, lookup.message, lookup.progress, job.application_no, reference)
    try:
        return _from_progress(client.progress_by_reference(reference), reference)
    except PlatformError as exc:
        log.warning("progress lookup by reference failed: %s", exc.summary())
        return Lookup("unavailable", UNAVAILABLE, reference=reference)


def typed_key(text: str, prefix: str) -> ProgressKey:
    """What a resident typed on the progress keypad, either number the receipt carries: the platform's
    (``TB`` + digits) or this kiosk's local reference (``<prefix>-000123``, ``prefix`` being the outbox's
    ``<kiosk id>-<instance>``). Digits alone: 12 or more are a platform number without its ``TB``; fewer are the
    sequence of this kiosk's reference (``123`` for ``K0001-7QX2M-000123``). :class:`ProgressQrError` when it
    is neither."""
    cleaned = "".join(text.split()).upper()
    if not cleaned.isascii():
        raise ProgressQrError("not a receipt number")
    if cleaned.isdigit():
        if len(cleaned) >= 12:
            return ProgressKey(application_no="TB" + cleaned)
        return ProgressKey(reference=f"{prefix}-{int(cleaned):06d}")
    if cleaned.startswith("TB"):
        return ProgressKey(application_no=cleaned)
    if cleaned.startswith(prefix.upper() + "-"):
        cleaned = prefix + cleaned[len(prefix) :]
    return ProgressKey(reference=cleaned)


def by_qr(client: PlatformClient, outbox: Outbox, text: str) -> Lookup:
    """A receipt's QR as scanned: the number when it carries one, else the local reference."""
    try:
        key = parse_progress_qr(text)
    except ProgressQrError:
        return Lookup("invalid", NOT_A_RECEIPT_CODE)
    if key.application_no:
        return by_number(client, key.application_no)
    assert key.reference is not None
    return by_reference(client, outbox, key.reference)


def evaluate(
    outbox: Outbox,
    level: int,
    reasons: tuple[str, ...] | list[str] = (),
    comment: str = "",
    *,
    application_no: str | None = None,
    reference: str | None = None,
    service: str = "application",
    item_code: str | None = None,
    known_reasons: tuple[str, ...] | None = None,
) -> str:
    """Queue a 好差评 (five levels, reasons required for 2 and 1, as codes of ``known_reasons`` when given) of an
    application, or of a guide / progress lookup (``service``); returns the evaluation's outbox reference."""
    problem = evaluation_problem(level, reasons, comment, known_reasons)
    if problem is not None:
        raise EvaluationRefused(problem)
    reasons = [r.strip() for r in reasons if r and r.strip()]
    try:
        return outbox.enqueue_evaluation(
            level, reasons, comment.strip(), application_no=application_no, local_reference=reference,
            service=service, item_code=item_code,
        )
    except KeyError:
        raise EvaluationRefused(N_("No application with this number was found, so it cannot be rated.")) from None
