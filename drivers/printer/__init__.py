"""Chinese ESC/POS thermal receipt printer: document model, layout, encoder, status and the device driver."""

from drivers.printer.document import QR, Feed, KeyValue, Receipt, Rule, Section, Text, layout, render_text
from drivers.printer.driver import JobReport, PrintJobFailed, ThermalPrinter
from drivers.printer.layout import PAPER_58, PAPER_80, Paper, paper_named
from drivers.printer.status import PrinterStatus

__all__ = [
    "PAPER_58", "PAPER_80", "QR", "Feed", "JobReport", "KeyValue", "Paper", "PrintJobFailed", "PrinterStatus",
    "Receipt", "Rule", "Section", "Text", "ThermalPrinter", "layout", "paper_named", "render_text",
]
