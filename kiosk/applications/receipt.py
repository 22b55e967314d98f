"""The acceptance receipt (受理回执) as a ``drivers.printer`` document, printed or shown as a PNG.

Everything on it is already masked (张*明, 110101********1234). The QR opens progress lookup
(:mod:`kiosk.applications.progress_qr`).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass

from drivers.printer import PAPER_80, QR, KeyValue, Paper, Receipt, Section, Text, ThermalPrinter
from drivers.printer.document import Block
from drivers.printer.preview import render_png
from kiosk import clock
from kiosk.applications.submission import Submission

log = logging.getLogger(__name__)


def date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def promised_text(sub: Submission) -> str:
    """The platform's promised date once it answered; until then the kiosk's own count, marked 约 (the
    platform decides, and may count differently)."""
    if sub.platform_promised_by is not None:
        date = date_text(sub.platform_promised_by) + "前"
        return ("即办件，" if sub.immediate else "") + date
    date = date_text(sub.promised_by) + "前"
    if sub.immediate:
        return "即办件，" + date
    return "约" + date + "（以平台答复为准）"


def build_receipt(sub: Submission, *, site_name: str, kiosk_id: str, hotline: str = "12345") -> Receipt:
    info: list[Block] = [KeyValue("服务网点", site_name), KeyValue("终端编号", kiosk_id)]
    info.append(KeyValue("一件事" if sub.is_bundle else "办理事项", sub.title, bold=True))
    if sub.is_bundle:
        info += [Text(f"  · {name}") for name in sub.item_names]
    info.append(KeyValue("申请人", f"{sub.applicant_name}  {sub.applicant_id}"))
    if sub.agent_name:
        info.append(KeyValue("代办人", f"{sub.agent_name}  {sub.agent_id}"))
    if sub.application_no:
        info.append(KeyValue("申请编号", sub.application_no, bold=True))
    else:
        info.append(KeyValue("本机受理号", sub.reference, bold=True))
        info.append(Text("平台暂未回复，申请已在本机保存并将自动送达；凭本机受理号可查询进度。"))
    info.append(KeyValue("受理时间", clock.stamp(sub.submitted_at)))
    info.append(KeyValue("办理机构", sub.office))
    info.append(KeyValue("承诺办结", promised_text(sub)))
    # status first: long material names wrap under themselves, the status stays readable at a glance
    materials: list[Block] = [Text(f"【{line.label}】{line.name}") for line in sub.materials]
    steps: list[Block] = [Text(f"{n}. {step}") for n, step in enumerate(sub.next_steps, 1)]
    steps.append(QR(sub.progress_qr, module=5, ec="M", caption="扫码或在本机输入编号查询办理进度"))
    return Receipt(
        title="受理回执",
        sections=[Section("办理信息", info), Section("材料情况", materials), Section("后续事项", steps)],
        footer=[f"咨询电话：{sub.consult_phone}", f"投诉监督：{hotline}", "通办 24小时自助服务 — 谢谢使用"],
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
