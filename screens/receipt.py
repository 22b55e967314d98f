"""The receipt: printed on the receipt printer (printing state, reprint); when the printer cannot print (no paper,
cover open, offline, missing) the receipt and its QR code are shown on the screen instead, so a resident is
never left without their number. A queued application (platform unreachable) carries the kiosk's reference.
The receipt is ``kiosk.applications``' 受理回执 (``ApplicationOffice.receipt``): the same document is printed and
shown."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from kivy.core.image import Image as CoreImage
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from screens.widgets import KioskScreen

if TYPE_CHECKING:
    from drivers.printer import Receipt

log = logging.getLogger(__name__)


def one_line_font(text: str, width: float, largest: float) -> float:
    """The largest font size up to ``largest`` at which ``text`` (bold) fits ``width`` on one line: the
    application number is read out and copied digit by digit, so it is never wrapped or cut inside."""
    from kivy.core.text import Label as CoreLabel

    if not text or width <= 0:
        return largest
    needed = CoreLabel(text=text, font_size=largest, bold=True).get_extents(text)[0]
    return largest if needed <= width else largest * width / needed * 0.97


def qr_texture(data: str):
    """A QR code as a Kivy texture, made in memory (nothing written to disk)."""
    import qrcode

    image = qrcode.make(data, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    buffer.seek(0)
    return CoreImage(buffer, ext="png").texture


class ReceiptScreen(KioskScreen):
    state: str = StringProperty("")  # printing | printed | on_screen
    number: str = StringProperty("")
    queued: bool = BooleanProperty(False)
    slot_shown: bool = BooleanProperty(False)  # the drawing of the printer slot: while printing and once printed

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Your application is submitted. Take your receipt", **kwargs)

    def on_pre_enter(self, *_args: object) -> None:
        submission = self.journey.session.submission
        if submission is None:
            return
        self.number, self.queued = submission.number, submission.application_no is None
        self.build_rows()
        self.print_receipt()

    def on_state(self, *_args: object) -> None:
        self.slot_shown = self.state in ("printing", "printed")

    def document(self) -> Receipt:
        """The 受理回执 of the session's submission (masked values only)."""
        return self.journey.receipt()

    def build_rows(self) -> None:
        """The whole document, as on paper: each section's heading, its key-value rows and its lines (the
        materials and what happens next); the QR code has its own place."""
        from drivers.printer import KeyValue, Text

        box = self.ids.rows
        box.clear_widgets()
        for section in self.document().sections:
            if section.heading and section.blocks:
                box.add_widget(Factory.GuideHeading(text=section.heading))
            for block in section.blocks:
                if isinstance(block, KeyValue):
                    box.add_widget(Factory.SummaryRow(label=block.key, value=block.value))
                elif isinstance(block, Text) and block.text.strip():
                    box.add_widget(Factory.GuideLine(text=block.text.strip()))
        self.ids.qr.texture = qr_texture(self.journey.session.submission.progress_qr)

    def print_receipt(self) -> None:
        """Through the journey's print-or-show path: printed, or (printer not ready, job failed) on the screen."""
        self.state = "printing"
        self.journey.print_receipt()

    def on_journey(self, payload: dict[str, Any]) -> None:
        if payload.get("what") != "printed" or self.state != "printing":
            return
        if payload.get("ok"):
            self.state = "printed"
            # staff menu (issue 10): a printed receipt stays available for 补打 (masked content only, 24 h)
            self.app.staff_desk.keep_receipt(self.number, self.document())
        else:
            log.warning("receipt not printed (%s): shown on screen", payload.get("code"))
            self.state = "on_screen"
            self.app.say("The printer cannot print now. Please photograph the code on the screen")

    def finish(self) -> None:
        self.app.navigate("evaluate")

    def wipe(self) -> None:
        self.ids.rows.clear_widgets()
        self.ids.qr.texture = None
        self.number = self.state = ""
