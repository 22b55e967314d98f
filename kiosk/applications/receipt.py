"""The acceptance receipt (受理回执) as a ``drivers.printer`` document, printed or shown as a PNG.

Everything on it is already masked (张*明, 110101********1234). The QR opens progress lookup
(:mod:`kiosk.applications.progress_qr`).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from drivers.printer import PAPER_80, QR, KeyValue, Paper, Receipt, Section, Text, ThermalPrinter
from drivers.printer.document import Block
from drivers.printer.layout import WORD_JOINER
from drivers.printer.preview import render_png
from kiosk import clock
from kiosk.applications.submission import Submission
from kiosk.i18n import N_, translator
from kiosk.ime.dictionary_words import segment

log = logging.getLogger(__name__)


# the receipt's wording of a material's state (kiosk.applications.MaterialStatus values)
MATERIAL_STATES = {
    "file": N_("Provided"),
    "certificate": N_("e-certificate"),
    "commitment": N_("Commitment"),
    "deferred": N_("To be supplied"),
    "missing": N_("Not provided"),
}


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")  # a two-character word at a line's end breaks too (承 | 诺；)


def keep_words(text: str) -> str:
    """Chinese words marked whole for the printer's line breaking (a word joiner inside each, which the printer
    layout honours and never prints): paper breaks between words as the screen does (Rime's dictionary words,
    kiosk.ime.dictionary_words), never 书面承 | 诺."""
    return _HAN_RUN.sub(lambda run: "".join(WORD_JOINER.join(word) for word in segment(run.group())), text)


def date_text(day: dt.date, t: Callable[[str], str]) -> str:
    return t("{year}-{month:02d}-{day:02d}").format(year=day.year, month=day.month, day=day.day)


def promised_text(sub: Submission, t: Callable[[str], str]) -> str:
    """The platform's promised date once it answered; until then the kiosk's own count, marked 约 (the
    platform decides, and may count differently)."""
    answered = sub.platform_promised_by is not None
    date = date_text(sub.platform_promised_by or sub.promised_by, t)
    if sub.immediate:
        return t(N_("Done on the spot, by {date}")).format(date=date)
    return t(N_("by {date}") if answered else N_("About {date}, the platform confirms it")).format(date=date)


def build_receipt(sub: Submission, *, site_name: str, kiosk_id: str, hotline: str = "12345",
                  t: Callable[[str], str] | None = None) -> Receipt:  # fmt: skip
    """The 受理回执 in the language of ``t``: Chinese on paper (the default: the official document, DOMAIN.md
    §3), the resident's language on the screen. What a resident looks for first comes first: the service, its
    number, the promised date."""
    paper, t = t is None, t or translator("zh_CN")
    k = keep_words if paper else str  # words marked whole for the printer; the screen breaks lines itself
    info: list[Block] = [KeyValue(t("Life event" if sub.is_bundle else "Service"), k(sub.title), bold=True)]
    if sub.is_bundle:
        info += [Text(k(f"  · {name}")) for name in sub.item_names]
    if sub.application_no:
        info.append(KeyValue(t(N_("Application no.")), sub.application_no, bold=True))
    else:
        info.append(KeyValue(t("Local reference"), sub.reference, bold=True))
        info.append(Text(k(t(N_("The platform has not answered yet: the application is saved on this kiosk and "
                                "will be delivered by itself. The local reference tracks its progress.")))))
    info.append(KeyValue(t(N_("Promised completion")), k(promised_text(sub, t))))
    info.append(KeyValue(t("Applicant"), f"{sub.applicant_name}  {sub.applicant_id}"))
    if sub.agent_name:
        info.append(KeyValue(t("Agent"), f"{sub.agent_name}  {sub.agent_id}"))
    info.append(KeyValue(t("Handled by"), k(sub.office)))
    info.append(KeyValue(t(N_("Received at")), clock.stamp(sub.submitted_at)))
    info += [KeyValue(t(N_("Service point")), k(site_name)), KeyValue(t(N_("Kiosk number")), kiosk_id)]
    # status first: long material names wrap under themselves, the status stays readable at a glance
    materials: list[Block] = [Text(k(f"【{t(MATERIAL_STATES.get(line.status, line.status))}】{line.name}"))
                              for line in sub.materials]  # fmt: skip
    steps: list[Block] = [Text(k(f"{n}. {step}")) for n, step in enumerate(sub.next_steps, 1)]
    steps.append(QR(sub.progress_qr, module=5, ec="M", caption=k(t(N_("Scan, or type the number at this kiosk, "
                                                                     "to track the progress")))))  # fmt: skip
    return Receipt(
        title=t("Application receipt"),
        sections=[
            Section(t(N_("Application details")), info),
            Section(t(N_("Materials provided")), materials),
            Section(t(N_("Next steps")), steps),
        ],
        footer=[
            t("Enquiries: {phone}").format(phone=sub.consult_phone),
            t(N_("Complaints: {hotline}")).format(hotline=hotline),
            k(t(N_("Tongban 24-hour self-service — thank you"))),
        ],
    )


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    code: str  # drivers.contract.Code value ("success", "paper_out", …) or "no_printer"
    detail: str = ""
    png: bytes | None = None  # the same receipt as a picture when it did not print (show it on screen)


def receipt_png(receipt: Receipt, paper: Paper = PAPER_80) -> bytes:
    buffer = io.BytesIO()
    render_png(receipt, paper).save(buffer, format="PNG")
    return buffer.getvalue()


def print_receipt(printer: ThermalPrinter | None, receipt: Receipt, *, timeout: float = 30.0) -> PrintOutcome:
    """Print through the driver; when there is no printer or the job fails, return the PNG for the screen."""
    if printer is None:
        return PrintOutcome(False, "no_printer", "no printer configured", receipt_png(receipt))
    try:
        done = printer.print_receipt(receipt, timeout=timeout).result(timeout + 10)
    except Exception as exc:  # an encoder error or a stuck worker must not lose the resident's receipt
        log.exception("receipt printing failed")
        return PrintOutcome(False, "hardware_error", type(exc).__name__, receipt_png(receipt, printer.paper))
    if done.ok:
        return PrintOutcome(True, done.code.value)
    log.warning("receipt not printed: %s %s", done.code.value, done.detail)
    return PrintOutcome(False, done.code.value, done.detail, receipt_png(receipt, printer.paper))
