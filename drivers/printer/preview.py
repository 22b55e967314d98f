"""The receipt as a picture for the screen, drawn from the same rows the printer gets (``document.layout``)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from drivers.printer.document import CutRow, FeedRow, ImageRow, QrRow, Receipt, TextRow, layout
from drivers.printer.fonts import cjk_font
from drivers.printer.layout import CELL_DOTS, GLYPH_DOTS, LINE_SPACING_DOTS, Paper, char_width, text_width

MARGIN = 24


def _qr(data: str, module: int, ec: str) -> Image.Image:
    import qrcode

    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
    code = qrcode.QRCode(error_correction=levels[ec], border=0, box_size=module)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def _text_row(row: TextRow, paper: Paper) -> Image.Image:
    height = max(LINE_SPACING_DOTS, GLYPH_DOTS * row.height + 6)
    strip = Image.new("L", (paper.dots, height), 255)
    cell_w = CELL_DOTS * row.width
    width = text_width(row.text) * cell_w
    x = {"center": (paper.dots - width) // 2, "right": paper.dots - width}.get(row.align, 0)
    for ch in row.text:
        columns = char_width(ch)
        if columns:
            glyph = Image.new("L", (CELL_DOTS * columns, GLYPH_DOTS), 255)
            draw = ImageDraw.Draw(glyph)
            font = cjk_font(22 if columns == 2 else 20)
            for dx in (0, 1) if row.bold else (0,):
                draw.text((glyph.width / 2 + dx, 19), ch, font=font, fill=0, anchor="ms")
            if (row.width, row.height) != (1, 1):
                glyph = glyph.resize((glyph.width * row.width, glyph.height * row.height))
            strip.paste(glyph, (max(0, x), height - glyph.height - 3))
        x += columns * cell_w
    return strip


def render_png(receipt: Receipt, paper: Paper, path: Path | str | None = None) -> Image.Image:
    """The receipt on white paper, 1 px per printer dot; saved to ``path`` when given."""
    strips: list[tuple[Image.Image, str]] = []
    for row in layout(receipt, paper):
        if isinstance(row, TextRow):
            strips.append((_text_row(row, paper), "left"))
        elif isinstance(row, QrRow):
            strips.append((Image.new("L", (1, 4 * row.module), 255), "left"))
            strips.append((_qr(row.data, row.module, row.ec), "center"))
            strips.append((Image.new("L", (1, 4 * row.module), 255), "left"))
        elif isinstance(row, ImageRow):
            strips.append((row.image.convert("L"), "center"))
        elif isinstance(row, FeedRow):
            strips.append((Image.new("L", (1, row.lines * LINE_SPACING_DOTS), 255), "left"))
        elif isinstance(row, CutRow):
            strips.append((Image.new("L", (1, LINE_SPACING_DOTS), 255), "left"))
    height = sum(s.height for s, _ in strips) + 2 * MARGIN
    sheet = Image.new("L", (paper.dots + 2 * MARGIN, height), 255)
    y = MARGIN
    for strip, where in strips:
        x = MARGIN + ((paper.dots - strip.width) // 2 if where == "center" else 0)
        sheet.paste(strip, (x, y))
        y += strip.height
    if path is not None:
        sheet.save(path)
    return sheet
