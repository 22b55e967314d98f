"""The pictures that show a resident's hands what to do, drawn by the project (no third-party artwork).

``python -m kiosk.illustrations assets/illustrations`` (``draw_all``) redraws them with Pillow; the PNGs in
``assets/illustrations/`` are its output, committed so a kiosk needs no drawing at start-up. They carry no text (a
picture must not need translating): an arrow shows the movement, the screens say it in words and voice.

- ``card_reader``: a hand lays an ID card flat on the reader pad below the screen;
- ``qr_scanner``: a phone showing a QR code held over the scanner window;
- ``camera``: the camera above the screen, a face looking at it inside the oval;
- ``document_camera``: the document camera on its arm looking down at the counter, a page laid face up in the
  marked place under it, an arrow to put it down;
- ``printer_slot``: the receipt coming out of the slot below the screen, an arrow to take it;
- ``receipt_qr``: the printed receipt held up to the camera above the screen, its QR code facing the lens.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported only to draw: the screens need just the paths
    from PIL import Image, ImageDraw

SIZE = (800, 600)
INK = (31, 41, 55, 255)  # outlines: dark slate, ≥ 7:1 on the light page and readable on the elder black page's cards
PANEL = (203, 213, 225, 255)
DARK = (51, 65, 85, 255)
BLUE = (30, 90, 168, 255)
CARD = (224, 238, 255, 255)
SKIN = (244, 205, 170, 255)
GREEN = (46, 125, 50, 255)
PAPER = (255, 255, 255, 255)
RED = (198, 40, 40, 255)
W = 6  # outline width


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    return image, ImageDraw.Draw(image)


def _arrow(draw: ImageDraw.ImageDraw, x: int, y0: int, y1: int, color=GREEN) -> None:
    """A thick arrow from y0 to y1 at x (down when y1 > y0)."""
    draw.line([(x, y0), (x, y1)], fill=color, width=18)
    head = 34 if y1 > y0 else -34
    draw.polygon([(x - 36, y1 - head), (x + 36, y1 - head), (x, y1 + head // 3)], fill=color)


def _hand(draw: ImageDraw.ImageDraw, x: int, y: int) -> None:
    """A simple hand (palm and four fingers) whose fingertips are at (x, y), reaching down."""
    draw.rounded_rectangle([x - 70, y - 170, x + 70, y - 60], radius=40, fill=SKIN, outline=INK, width=W)
    for i, dx in enumerate((-52, -18, 16, 50)):
        length = 70 if i in (1, 2) else 55
        draw.rounded_rectangle([x + dx - 15, y - 80, x + dx + 15, y - 80 + length], radius=15, fill=SKIN,
                               outline=INK, width=W)  # fmt: skip


def _qr(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    """A QR-like pattern: three finder squares and a fixed scatter of modules."""
    x0, y0, x1, _y1 = box
    draw.rectangle(box, fill=PAPER)
    cell = (x1 - x0) // 11
    for fx, fy in ((0, 0), (8, 0), (0, 8)):
        draw.rectangle([x0 + fx * cell, y0 + fy * cell, x0 + (fx + 3) * cell, y0 + (fy + 3) * cell], fill=INK)
        draw.rectangle([x0 + (fx + 1) * cell, y0 + (fy + 1) * cell, x0 + (fx + 2) * cell, y0 + (fy + 2) * cell],
                       fill=PAPER)  # fmt: skip
    for i in range(121):
        cx, cy = i % 11, i // 11
        if (cx < 4 and cy < 4) or (cx > 6 and cy < 4) or (cx < 4 and cy > 6):
            continue
        if (cx * 7 + cy * 3 + cx * cy) % 3 == 0:
            draw.rectangle([x0 + cx * cell, y0 + cy * cell, x0 + (cx + 1) * cell, y0 + (cy + 1) * cell], fill=INK)


def card_reader() -> Image.Image:
    image, draw = _canvas()
    draw.rounded_rectangle([60, 420, 740, 560], radius=24, fill=PANEL, outline=INK, width=W)  # the counter
    draw.rounded_rectangle([230, 440, 570, 540], radius=18, fill=DARK, outline=INK, width=W)  # the reader pad
    draw.rounded_rectangle([270, 456, 530, 524], radius=10, outline=PANEL, width=4)  # where the card goes
    # the ID card, held flat above the pad
    draw.rounded_rectangle([250, 190, 550, 370], radius=18, fill=CARD, outline=INK, width=W)
    draw.rectangle([280, 225, 360, 325], fill=PANEL, outline=INK, width=4)  # the photo
    for row in range(4):
        draw.line([(385, 235 + row * 28), (515 - row * 12, 235 + row * 28)], fill=BLUE, width=8)
    _hand(draw, 400, 215)
    _arrow(draw, 660, 200, 390)
    return image


def card_on_reader() -> Image.Image:
    """The card already lying on the pad (identify asks for whom before reading it): no hand, no arrow — nothing
    to do with the card, a tick that it is seen."""
    image, draw = _canvas()
    draw.rounded_rectangle([60, 420, 740, 560], radius=24, fill=PANEL, outline=INK, width=W)  # the counter
    draw.rounded_rectangle([230, 440, 570, 540], radius=18, fill=DARK, outline=INK, width=W)  # the reader pad
    # the ID card lying flat on the pad, seen from the front and above: a wide, low shape
    draw.polygon([(245, 510), (555, 510), (525, 455), (275, 455)], fill=CARD, outline=INK, width=W)
    draw.rectangle([295, 468, 335, 497], fill=PANEL, outline=INK, width=3)  # the photo
    for row in range(2):
        draw.line([(350, 472 + row * 14), (500 - row * 20, 472 + row * 14)], fill=BLUE, width=6)
    draw.ellipse([330, 170, 470, 310], fill=GREEN, outline=INK, width=W)  # seen: a tick in a green disc
    draw.line([(360, 242), (392, 274), (442, 206)], fill=PAPER, width=18, joint="curve")
    return image


def qr_scanner() -> Image.Image:
    image, draw = _canvas()
    draw.rounded_rectangle([60, 420, 740, 560], radius=24, fill=PANEL, outline=INK, width=W)
    draw.rounded_rectangle([250, 440, 550, 540], radius=18, fill=DARK, outline=INK, width=W)  # scanner window
    draw.line([(275, 490), (525, 490)], fill=RED, width=6)  # its scan line
    # the phone, screen down towards the window, its QR code seen from the side the scanner sees
    draw.rounded_rectangle([270, 60, 530, 380], radius=30, fill=INK)
    draw.rounded_rectangle([285, 85, 515, 355], radius=12, fill=PAPER)
    _qr(draw, (312, 132, 488, 308))
    _arrow(draw, 660, 160, 390)
    return image


def _kiosk_lens(draw: ImageDraw.ImageDraw) -> None:
    """The top of the kiosk with the camera's lens in the middle (what a face or a receipt turns towards)."""
    draw.rounded_rectangle([120, 20, 680, 120], radius=24, fill=PANEL, outline=INK, width=W)  # top of the kiosk
    draw.ellipse([360, 30, 440, 110], fill=DARK, outline=INK, width=W)  # the lens
    draw.ellipse([385, 55, 415, 85], fill=BLUE)
    draw.ellipse([386, 57, 398, 69], fill=PAPER)


def camera() -> Image.Image:
    image, draw = _canvas()
    _kiosk_lens(draw)
    # the face inside the oval, looking up at the lens
    draw.ellipse([250, 180, 550, 580], outline=GREEN, width=10)
    draw.ellipse([300, 230, 500, 500], fill=SKIN, outline=INK, width=W)
    draw.ellipse([345, 320, 375, 350], fill=INK)
    draw.ellipse([425, 320, 455, 350], fill=INK)
    draw.arc([350, 380, 450, 450], start=20, end=160, fill=INK, width=W)
    _arrow(draw, 400, 225, 140, color=BLUE)
    return image


def document_camera() -> Image.Image:
    image, draw = _canvas()
    # the counter seen from the resident's side, and the marked place under the lens
    draw.polygon([(70, 575), (730, 575), (640, 385), (160, 385)], fill=PANEL, outline=INK, width=W)
    draw.polygon([(215, 555), (585, 555), (545, 405), (255, 405)], outline=GREEN, width=8)
    # the page, face up (its text lines and stamp towards the lens)
    draw.polygon([(245, 540), (555, 540), (522, 420), (278, 420)], fill=PAPER, outline=INK, width=4)
    for row, (y, x0, x1) in enumerate(((440, 300, 500), (465, 296, 505), (490, 291, 450), (515, 286, 470))):
        draw.line([(x0, y), (x1 - (row % 2) * 30, y)], fill=DARK, width=7)
    draw.ellipse([470, 480, 520, 525], outline=RED, width=5)
    # the arm from the back of the counter and the camera head looking straight down
    draw.rectangle([608, 92, 644, 395], fill=PANEL, outline=INK, width=W)
    draw.rectangle([440, 92, 644, 128], fill=PANEL, outline=INK, width=W)
    draw.rounded_rectangle([330, 70, 470, 150], radius=18, fill=PANEL, outline=INK, width=W)
    draw.ellipse([370, 120, 430, 180], fill=DARK, outline=INK, width=W)
    draw.ellipse([388, 138, 412, 162], fill=BLUE)
    for x in (290, 510):  # what the lens sees
        draw.line([(400, 180), (x, 405)], fill=BLUE, width=5)
    _arrow(draw, 170, 140, 345)
    return image


def receipt_qr() -> Image.Image:
    image, draw = _canvas()
    _kiosk_lens(draw)
    # the receipt, held up with its QR code towards the lens
    draw.rectangle([270, 200, 530, 560], fill=PAPER, outline=INK, width=W)
    for row in range(3):
        draw.line([(300, 240 + row * 30), (500 - (row % 2) * 60, 240 + row * 30)], fill=DARK, width=7)
    _qr(draw, (325, 345, 475, 495))
    _hand(draw, 400, 690)  # fingertips below the page edge: the hand holds it from underneath
    _arrow(draw, 620, 420, 150, color=BLUE)
    return image


def printer_slot() -> Image.Image:
    image, draw = _canvas()
    draw.rounded_rectangle([60, 40, 740, 240], radius=24, fill=PANEL, outline=INK, width=W)  # the kiosk front
    draw.rounded_rectangle([220, 150, 580, 190], radius=16, fill=INK)  # the slot
    # the receipt coming out, with text lines and its QR code
    draw.rectangle([260, 170, 540, 520], fill=PAPER, outline=INK, width=W)
    for row in range(4):
        draw.line([(290, 215 + row * 30), (510 - (row % 2) * 60, 215 + row * 30)], fill=DARK, width=7)
    _qr(draw, (340, 350, 460, 470))
    _arrow(draw, 660, 260, 470)
    return image


DRAWINGS: dict[str, Callable[[], Image.Image]] = {
    "card_reader": card_reader,
    "qr_scanner": qr_scanner,
    "camera": camera,
    "card_on_reader": card_on_reader,
    "document_camera": document_camera,
    "printer_slot": printer_slot,
    "receipt_qr": receipt_qr,
}


def draw_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in DRAWINGS.items():
        path = out / f"{name}.png"
        draw().save(path, optimize=True)
        written.append(path)
    return written


def path_of(name: str) -> str:
    """The packaged picture ``name`` (a key of ``DRAWINGS``)."""
    from kiosk.paths import assets_dir

    if name not in DRAWINGS:
        raise KeyError(name)
    return str(assets_dir() / "illustrations" / f"{name}.png")


if __name__ == "__main__":
    for written in draw_all(Path(sys.argv[1] if len(sys.argv) > 1 else "assets/illustrations")):
        print(written)
