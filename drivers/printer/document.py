"""The receipt document the kiosk fills, and its layout into printable rows.

One document, three renderings: ESC/POS bytes (``drivers.printer.escpos_encode``), plain text for logs
(:func:`render_text`; the kiosk passes values it has already masked) and a PNG preview for the screen
(``drivers.printer.preview``). All three start from the same rows (:func:`layout`), so what the screen shows is what
the paper gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

from drivers.printer.layout import Align, Paper, pad, text_width, wrap

EcLevel = Literal["L", "M", "Q", "H"]


@dataclass(frozen=True)
class Text:
    text: str
    align: Align = "left"
    bold: bool = False
    width: int = 1  # character magnification 1..8 (GS !)
    height: int = 1


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: str
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    char: str = "-"


@dataclass(frozen=True)
class QR:
    data: str
    module: int = 6  # dots per module, 1..16
    ec: EcLevel = "M"
    caption: str = ""


@dataclass(frozen=True)
class Feed:
    lines: int = 1


Block = Text | KeyValue | Rule | QR | Feed


@dataclass
class Section:
    heading: str = ""
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Receipt:
    title: str
    sections: list[Section] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    logo: Image.Image | None = None
    cut: bool = True


# -- layout into rows -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextRow:
    text: str
    align: Align = "left"
    bold: bool = False
    width: int = 1
    height: int = 1


@dataclass(frozen=True)
class QrRow:
    data: str
    module: int
    ec: EcLevel


@dataclass(frozen=True)
class ImageRow:
    image: Image.Image  # mode "1", at most paper.dots wide


@dataclass(frozen=True)
class FeedRow:
    lines: int


@dataclass(frozen=True)
class CutRow:
    pass


Row = TextRow | QrRow | ImageRow | FeedRow | CutRow


def qr_modules(data: str, ec: EcLevel) -> int:
    """Modules per side of the smallest QR symbol (model 2) holding ``data`` at level ``ec``."""
    import qrcode

    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
    code = qrcode.QRCode(error_correction=levels[ec], border=0)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    return code.modules_count


def fit_logo(logo: Image.Image, paper: Paper) -> Image.Image:
    """A 1-bit copy no wider than the paper (and no wider than half of it for tall logos)."""
    image = logo.convert("L")
    if image.width > paper.dots:
        image = image.resize((paper.dots, max(1, image.height * paper.dots // image.width)))
    return image.point(lambda v: 255 if v >= 128 else 0).convert("1")


def layout(receipt: Receipt, paper: Paper) -> list[Row]:
    """Lay the receipt out on ``paper``: wrapped text rows, QR and image rows, feeds, and the cut."""
    cols = paper.columns
    rows: list[Row] = []
    if receipt.logo is not None:
        rows.append(ImageRow(fit_logo(receipt.logo, paper)))
    scale = 2 if text_width(receipt.title) * 2 <= cols else 1  # a title that fits one line prints double size
    rows += [TextRow(line, "center", True, scale, scale) for line in wrap(receipt.title, cols // scale)]
    for section in receipt.sections:
        rows.append(TextRow("-" * cols))
        if section.heading:
            rows += [TextRow(line, bold=True) for line in wrap(section.heading, cols)]
        for block in section.blocks:
            rows += _block_rows(block, paper)
    if receipt.footer:
        rows.append(TextRow("-" * cols))
        for line in receipt.footer:
            rows += [TextRow(part, "center") for part in wrap(line, cols)]
    if receipt.cut:
        rows.append(CutRow())
    return rows


def _block_rows(block: Block, paper: Paper) -> list[Row]:
    cols = paper.columns
    if isinstance(block, Text):
        if not (1 <= block.width <= 8 and 1 <= block.height <= 8):
            raise ValueError("text magnification must be 1..8")
        return [TextRow(line, block.align, block.bold, block.width, block.height)
                for line in wrap(block.text, cols // block.width)]
    if isinstance(block, KeyValue):
        label = f"{block.key}："
        return [TextRow(line, bold=block.bold) for line in wrap(label + block.value, cols, indent=text_width(label))]
    if isinstance(block, Rule):
        return [TextRow((block.char * cols)[: cols // max(1, text_width(block.char))])]
    if isinstance(block, QR):
        if not 1 <= block.module <= 16:
            raise ValueError("QR module size must be 1..16 dots")
        modules = qr_modules(block.data, block.ec)
        module = block.module
        while module > 1 and modules * module > paper.dots:
            module -= 1  # shrink rather than let the printer clip the symbol
        rows: list[Row] = [QrRow(block.data, module, block.ec)]
        if block.caption:
            rows += [TextRow(line, "center") for line in wrap(block.caption, cols)]
        return rows
    if isinstance(block, Feed):
        return [FeedRow(block.lines)]
    raise TypeError(f"not a receipt block: {block!r}")


def render_text(receipt: Receipt, paper: Paper) -> str:
    """The receipt as the paper shows it, in plain text (for logs): QR codes and logos as placeholders."""
    cols = paper.columns
    out: list[str] = []
    for row in layout(receipt, paper):
        if isinstance(row, TextRow):
            out.append(pad(row.text, cols, row.align).rstrip())
        elif isinstance(row, QrRow):
            out.append(pad(f"[QR {row.data}]", cols, "center"))
        elif isinstance(row, ImageRow):
            out.append(pad(f"[logo {row.image.width}x{row.image.height}]", cols, "center"))
        elif isinstance(row, FeedRow):
            out += [""] * row.lines
    return "\n".join(out) + "\n"
