"""What the emulated print head puts on paper: parsed operations become text lines, QR symbols, images and feeds,
and a finished printout becomes a PNG drawn with the CJK font and a real QR symbol.

Geometry follows the common Chinese 58/80 mm mechanisms: font A cells are 12×24 dots, characters in Chinese mode
are 24×24, the default line pitch is 30 dots, and a line that reaches the right edge wraps on its own (counted in
``auto_wraps``: a driver that lays out correctly never causes one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from drivers.sim.printer.parser import Op

MARGIN = 32  # paper beyond the printable width, each side, in the picture
_QR_EC = ("L", "M", "Q", "H")


@dataclass(frozen=True)
class Glyph:
    char: str
    wide: bool  # printed from the 24×24 Chinese font
    bold: bool
    w: int
    h: int

    @property
    def dots(self) -> int:
        return (24 if self.wide else 12) * self.w


@dataclass
class Line:
    glyphs: list[Glyph]
    align: int
    pitch: int

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs)

    @property
    def height(self) -> int:
        return max([self.pitch, *(24 * g.h + 6 for g in self.glyphs)])


@dataclass
class QrSymbol:
    data: bytes
    module: int
    ec: str
    align: int


@dataclass
class Bitmap:
    image: Image.Image
    align: int


@dataclass
class Gap:
    dots: int


Element = Line | QrSymbol | Bitmap | Gap


@dataclass
class Printout:
    elements: list[Element] = field(default_factory=list)
    auto_wraps: int = 0

    @property
    def lines(self) -> list[str]:
        return [e.text.rstrip() for e in self.elements if isinstance(e, Line) and e.text.strip()]

    @property
    def qr_payloads(self) -> list[str]:
        return [e.data.decode("utf-8", errors="replace") for e in self.elements if isinstance(e, QrSymbol)]

    def __bool__(self) -> bool:
        return bool(self.elements)


class PrintHead:
    """Printer mode state plus the printout being built. ``apply`` returns True when an op cut the paper."""

    def __init__(self, dots: int) -> None:
        self.dots = dots
        self.printout = Printout()
        self.lines_fed = 0  # every line feed since power-on, for "paper out after N lines"
        self.reset()

    def reset(self) -> None:
        self.align = 0
        self.bold = False
        self.ascii_size = (1, 1)
        self.cjk_size = (1, 1)
        self.pitch = 30
        self.qr_module, self.qr_ec, self.qr_data = 3, 0, b""
        self._glyphs: list[Glyph] = []

    def take(self) -> Printout:
        """The printout so far (a pending partial line included), and a fresh sheet."""
        if self._glyphs:
            self._commit()
        printout, self.printout = self.printout, Printout()
        return printout

    def _commit(self) -> None:
        self.printout.elements.append(Line(self._glyphs, self.align, self.pitch))
        self._glyphs = []

    def _put(self, char: str, wide: bool) -> None:
        w, h = self.cjk_size if wide else self.ascii_size
        glyph = Glyph(char, wide, self.bold, w, h)
        if sum(g.dots for g in self._glyphs) + glyph.dots > self.dots:
            self.printout.auto_wraps += 1
            self._commit()
            self.lines_fed += 1
        self._glyphs.append(glyph)

    def _feed(self, dots: int) -> None:
        if self._glyphs:
            self._commit()
        else:
            self.printout.elements.append(Gap(dots))

    def apply(self, op: Op) -> bool:
        name, args = op.name, op.args
        if name == "text":
            for char in op.text:
                self._put(char, bool(args[0]) and ord(char) > 0x7F)
        elif name == "lf":
            self._feed(self.pitch)
            self.lines_fed += 1
        elif name == "feed_lines":
            for _ in range(args[0]):
                self._feed(self.pitch)
                self.lines_fed += 1
        elif name == "feed_dots":
            self._feed(args[0])
        elif name == "init":
            self.reset()
        elif name == "align":
            self.align = args[0] % 48
        elif name in ("bold", "double_strike"):
            self.bold = bool(args[0] & 1)
        elif name == "esc_mode":  # ASCII only: bit 3 emphasis, bit 4 double height, bit 5 double width
            self.bold = bool(args[0] & 0x08)
            self.ascii_size = (2 if args[0] & 0x20 else 1, 2 if args[0] & 0x10 else 1)
        elif name == "chinese_mode":  # Chinese only: bit 2 double width, bit 3 double height
            self.cjk_size = (2 if args[0] & 0x04 else 1, 2 if args[0] & 0x08 else 1)
        elif name == "size":
            self.ascii_size = self.cjk_size = ((args[0] >> 4) + 1, (args[0] & 0x0F) + 1)
        elif name == "line_spacing":
            self.pitch = args[0]
        elif name == "line_spacing_default":
            self.pitch = 30
        elif name == "qr_module":
            self.qr_module = args[0]
        elif name == "qr_ec":
            self.qr_ec = args[0]
        elif name == "qr_store":
            self.qr_data = op.data
        elif name == "qr_print" and self.qr_data:
            self._feed_pending()
            self.printout.elements.append(QrSymbol(self.qr_data, self.qr_module, _QR_EC[self.qr_ec],
                                                   self.align))
        elif name == "raster":
            self._feed_pending()
            mode, width_bytes, height = args
            if not width_bytes or not height:
                return False  # an empty image prints nothing (a real head just skips it)
            image = Image.frombytes("1", (width_bytes * 8, height), op.data, "raw", "1;I")
            image = image.resize((image.width * (2 if mode & 1 else 1), image.height * (2 if mode & 2 else 1)))
            self.printout.elements.append(Bitmap(image, self.align))
        elif name == "column_image":
            self.printout.elements.append(Bitmap(_column_image(args[0], args[1], op.data), self.align))
        elif name == "cut":
            if len(args) == 2:
                self._feed(args[1])
            return True
        return False

    def _feed_pending(self) -> None:
        if self._glyphs:
            self._commit()


def _column_image(mode: int, width: int, data: bytes) -> Image.Image:
    rows = 24 if mode >= 32 else 8
    per_column = rows // 8
    image = Image.new("1", (width, rows), 1)
    for x in range(width):
        for byte_index in range(per_column):
            byte = data[x * per_column + byte_index]
            for bit in range(8):
                if byte & (0x80 >> bit):
                    image.putpixel((x, byte_index * 8 + bit), 0)
    return image


# -- picture ---------------------------------------------------------------------------------------------------------


@cache
def _rom_font(pixels: int) -> ImageFont.FreeTypeFont:
    """The emulated printer's character ROM: WenQuanYi, found by name in the system's font folders (its own
    choice, like a printer's ROM; the receipt preview's font is the driver side's business)."""
    return ImageFont.truetype("wqy-microhei.ttc", pixels)


@cache
def _glyph_image(char: str, wide: bool, bold: bool) -> Image.Image:
    cell = Image.new("L", (24 if wide else 12, 24), 255)
    draw = ImageDraw.Draw(cell)
    font = _rom_font(22 if wide else 20)
    x = cell.width / 2
    draw.text((x, 19), char, font=font, fill=0, anchor="ms")
    if bold:
        draw.text((x + 1, 19), char, font=font, fill=0, anchor="ms")
    return cell


def _qr_image(symbol: QrSymbol) -> Image.Image:
    import qrcode

    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
    code = qrcode.QRCode(error_correction=levels[symbol.ec], border=0, box_size=symbol.module)
    code.add_data(symbol.data)
    code.make(fit=True)
    matrix = code.get_matrix()
    side = len(matrix)
    image = Image.new("1", (side, side), 1)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x, y), 0)
    return image.resize((side * symbol.module, side * symbol.module), Image.Resampling.NEAREST)


def _x(width: int, align: int, dots: int) -> int:
    return MARGIN + {1: (dots - width) // 2, 2: dots - width}.get(align, 0)


def render(printout: Printout, dots: int) -> Image.Image:
    """The printout on white paper ``dots`` wide (plus margins), black print."""
    placed: list[tuple[Element, Image.Image | None, int]] = []
    for element in printout.elements:
        if isinstance(element, QrSymbol):
            try:
                symbol = _qr_image(element)
            except ValueError:  # more data than a QR symbol holds: the printer prints nothing
                continue
            placed.append((element, symbol, symbol.height + 8 * element.module))  # quiet zone above and below
        elif isinstance(element, Bitmap):
            placed.append((element, element.image, element.image.height))
        elif isinstance(element, Line):
            placed.append((element, None, element.height))
        else:
            placed.append((element, None, element.dots))
    height = sum(h for _, _, h in placed) + 2 * MARGIN
    paper = Image.new("L", (dots + 2 * MARGIN, height), 255)
    y = MARGIN
    for element, image, h in placed:
        if isinstance(element, Line):
            width = sum(g.dots for g in element.glyphs)
            x = _x(width, element.align, dots)
            base = y + max(24 * g.h for g in element.glyphs) if element.glyphs else y
            for glyph in element.glyphs:
                cell = _glyph_image(glyph.char, glyph.wide, glyph.bold)
                if (glyph.w, glyph.h) != (1, 1):
                    cell = cell.resize((cell.width * glyph.w, cell.height * glyph.h))
                paper.paste(cell, (x, base - cell.height))
                x += glyph.dots
        elif isinstance(element, QrSymbol) and image is not None:
            paper.paste(image.convert("L"), (_x(image.width, element.align, dots), y + 4 * element.module))
        elif isinstance(element, Bitmap) and image is not None:
            paper.paste(image.convert("L"), (_x(min(image.width, dots), element.align, dots), y))
        y += h
    return paper
