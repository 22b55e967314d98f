"""样表: the paper forms residents fill in (config/catalog/forms.yaml), drawn as PNG images.

``kiosk catalog samples`` draws every form twice from its definition: ``forms/<code>.png`` blank, to print and
fill in, and ``samples/<code>.png`` filled with the definition's example values (the 样表). Both are committed
with the catalog; the loader refuses a material whose ``blank_form`` or ``sample`` names a file that is not
there. The guide screen shows them and prints them on the receipt printer (``sample_receipt``).

Drawn rather than scanned: a county edits the definition (labels, wording) and redraws, and the images stay
consistent with the text the screen reads aloud.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pydantic import Field

from kiosk.catalog.model import _SLUG, _Strict
from kiosk.fonts import find_cjk_font

WIDTH = 960
MARGIN = 56
LABEL_WIDTH = 330
INK = (20, 20, 20)
FILLED = (20, 60, 170)  # the example values, as if written in blue ink
STAMP = (200, 30, 30)


class FormFieldLine(_Strict):
    label: str = Field(min_length=1, max_length=30)
    example: str = Field(min_length=1, max_length=80)


class PaperForm(_Strict):
    code: str = Field(pattern=_SLUG)
    title: str = Field(min_length=2, max_length=30)
    fields: tuple[FormFieldLine, ...] = Field(min_length=1)
    text: str = ""
    sign: tuple[str, ...] = ()

    @property
    def blank_path(self) -> str:
        return f"forms/{self.code}.png"

    @property
    def sample_path(self) -> str:
        return f"samples/{self.code}.png"


_NO_LINE_START = "。，、；：？！）」》”"


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_cjk_font()), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, line = [], ""
    for ch in text:
        # closing punctuation stays at the end of its line (a line never starts with 。，)
        if font.getlength(line + ch) > width and line and ch not in _NO_LINE_START:
            lines.append(line)
            line = ch
        else:
            line += ch
    return [*lines, line] if line else lines


def draw(form: PaperForm, filled: bool) -> Image.Image:
    """The form on white paper; ``filled`` writes the example values in and stamps it 样表."""
    title_font, body, small = _font(44), _font(30), _font(26)
    value_width = WIDTH - 2 * MARGIN - LABEL_WIDTH - 24
    rows = []
    for field in form.fields:
        value_lines = _wrap(field.example, body, value_width) if filled else [""]
        label_lines = _wrap(field.label, body, LABEL_WIDTH - 24)
        rows.append((label_lines, value_lines, 28 + 42 * max(len(value_lines), len(label_lines))))
    text_lines = _wrap(form.text, small, WIDTH - 2 * MARGIN) if form.text else []
    height = MARGIN + 90 + sum(h for *_, h in rows) + 30 + 38 * len(text_lines) + 30 + 70 * len(form.sign) + MARGIN
    image = Image.new("RGB", (WIDTH, height), "white")
    pen = ImageDraw.Draw(image)
    pen.text((WIDTH // 2, MARGIN + 20), form.title, font=title_font, fill=INK, anchor="mm")
    y = MARGIN + 80
    left, right = MARGIN, WIDTH - MARGIN
    pen.line((left, y, right, y), fill=INK, width=3)
    for label_lines, value_lines, row_height in rows:
        for n, text in enumerate(label_lines):
            pen.text((left + 12, y + 14 + 42 * n), text, font=body, fill=INK)
        for n, text in enumerate(value_lines):
            pen.text((left + LABEL_WIDTH + 12, y + 14 + 42 * n), text, font=body, fill=FILLED)
        pen.line((left + LABEL_WIDTH, y, left + LABEL_WIDTH, y + row_height), fill=INK, width=2)
        y += row_height
        pen.line((left, y, right, y), fill=INK, width=2)
    pen.line((left, MARGIN + 80, left, y), fill=INK, width=3)
    pen.line((right, MARGIN + 80, right, y), fill=INK, width=3)
    y += 30
    for text in text_lines:
        pen.text((left, y), text, font=small, fill=INK)
        y += 38
    y += 30
    for caption in form.sign:
        pen.text((WIDTH // 2 - 60, y + 20), caption + "：", font=body, fill=INK, anchor="rm")
        pen.line((WIDTH // 2 - 40, y + 40, right, y + 40), fill=INK, width=2)
        if filled and "日期" in caption:
            pen.text((WIDTH // 2 - 20, y + 4), "2026年3月2日", font=body, fill=FILLED)
        elif filled:
            pen.text((WIDTH // 2 - 20, y + 4), "（本人签字）", font=body, fill=FILLED)
        y += 70
    if filled:  # a red 样表 stamp in the top right corner, so a sample is never mistaken for a filed form
        stamp = _font(40)
        box = (right - 130, MARGIN - 10, right, MARGIN + 60)
        pen.rectangle(box, outline=STAMP, width=4)
        pen.text(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2), "样表", font=stamp, fill=STAMP, anchor="mm")
    return image


def draw_all(forms: Iterable[PaperForm], root: Path) -> list[Path]:
    """Draw every form's blank and filled image under the catalog folder ``root``; returns the files written."""
    written = []
    for form in forms:
        for rel, filled in ((form.blank_path, False), (form.sample_path, True)):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            draw(form, filled).convert("L").save(path, format="PNG", optimize=True)
            written.append(path)
    return written
