"""ESC/POS bytes for Chinese thermal printers.

The text path is our own (domain notes §3): python-escpos never sends ``FS &`` and prints punctuation-only strings
such as "：" or "¥" through a code page, usually as "?". Here every span of non-ASCII text goes inside
``FS &`` … ``FS .`` as GB18030, and sizes use ``GS !``, which scales Chinese as well as ASCII (``ESC !`` does not).
python-escpos builds the native QR (``GS ( k``) and raster image (``GS v 0``) commands.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from drivers.printer.document import CutRow, FeedRow, ImageRow, QrRow, Receipt, Row, TextRow, layout, qr_modules
from drivers.printer.layout import GLYPH_DOTS, LINE_SPACING_DOTS, Align, Paper

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
CUT_FEED_LINES = 4  # the head sits this far above the blade on common 58/80 mm mechanisms
_ALIGN = {"left": 0, "center": 1, "right": 2}
_EC = {"L": 0, "M": 1, "Q": 2, "H": 3}
# GBK-only printers cannot print U+00A5 (four bytes in GB18030); the fullwidth yen is in GBK (A3 A4).
_GBK_FRIENDLY = str.maketrans({"¥": "￥"})


def size(width: int = 1, height: int = 1) -> bytes:
    """``GS ! n`` with n = (w-1)<<4 | (h-1): scales ASCII and Chinese alike."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("magnification must be 1..8")
    return GS + b"!" + bytes([(width - 1) << 4 | (height - 1)])


def align(where: Align) -> bytes:
    return ESC + b"a" + bytes([_ALIGN[where]])


def bold(on: bool) -> bytes:
    return ESC + b"E" + bytes([1 if on else 0])


def feed(lines: int) -> bytes:
    if not 0 <= lines <= 255:
        raise ValueError("feed is 0..255 lines")
    return ESC + b"d" + bytes([lines])


def cut(partial: bool = True) -> bytes:
    return feed(CUT_FEED_LINES) + GS + b"V" + (b"\x01" if partial else b"\x00")


def text(s: str) -> bytes:
    """``s`` as printer bytes: ASCII as is; the span from the first to the last non-ASCII character goes inside
    Chinese mode as GB18030 (ASCII inside the span prints the same in Chinese mode, and one mode switch is shorter
    than several)."""
    s = s.translate(_GBK_FRIENDLY)
    wide = [i for i, ch in enumerate(s) if ord(ch) > 0x7F]
    if not wide:
        return s.encode("ascii")
    first, last = wide[0], wide[-1] + 1
    return (s[:first].encode("ascii") + CHINESE_ON + s[first:last].encode("gb18030") + CHINESE_OFF
            + s[last:].encode("ascii"))


def _escpos_dummy(paper: Paper):
    from escpos.printer import Dummy

    dummy = Dummy()
    # An instance copy of the profile with our head width, so image() can centre and check width quietly.
    dummy.profile.profile_data = {**dummy.profile.profile_data,
                                  "media": {"dpi": 203, "width": {"mm": paper.mm, "pixels": paper.dots}}}
    return dummy


def qr(data: str, module: int = 6, ec: str = "M") -> bytes:
    """Native QR through python-escpos: model 2, module size, error correction, store, print (``GS ( k``)."""
    from escpos.printer import Dummy

    dummy = Dummy()
    dummy.qr(data, ec=_EC[ec], size=module, native=True)
    return dummy.output


def raster(image: Image.Image, paper: Paper, center: bool = True) -> bytes:
    """A 1-bit image as ``GS v 0`` raster through python-escpos."""
    dummy = _escpos_dummy(paper)
    dummy.image(image.convert("RGB"), impl="bitImageRaster", center=center)
    return dummy.output


@dataclass(frozen=True)
class Segment:
    """One printable unit of a job: sent as one write, followed by a status check."""

    data: bytes
    lines: int  # text lines this segment prints
    dots: int  # paper length it uses, in dots


class _Encoder:
    """Rows to segments, sending alignment, emphasis and size only when they change."""

    def __init__(self, paper: Paper) -> None:
        self.paper = paper
        self.align: Align = "left"
        self.bold = False
        self.size = (1, 1)

    def _state(self, where: Align, emphasis: bool, magnification: tuple[int, int]) -> bytes:
        out = b""
        if where != self.align:
            out += align(where)
            self.align = where
        if emphasis != self.bold:
            out += bold(emphasis)
            self.bold = emphasis
        if magnification != self.size:
            out += size(*magnification)
            self.size = magnification
        return out

    def segment(self, row: Row) -> Segment:
        if isinstance(row, TextRow):
            data = self._state(row.align, row.bold, (row.width, row.height)) + text(row.text) + LF
            return Segment(data, 1, max(LINE_SPACING_DOTS, GLYPH_DOTS * row.height + 6))
        if isinstance(row, QrRow):
            side = qr_modules(row.data, row.ec) * row.module
            data = self._state("center", self.bold, self.size) + qr(row.data, row.module, row.ec) + LF
            return Segment(data, 0, side + LINE_SPACING_DOTS)
        if isinstance(row, ImageRow):
            return Segment(self._state("left", self.bold, self.size) + raster(row.image, self.paper), 0,
                           row.image.height)
        if isinstance(row, FeedRow):
            return Segment(feed(row.lines), 0, row.lines * LINE_SPACING_DOTS)
        if isinstance(row, CutRow):
            return Segment(cut(), 0, CUT_FEED_LINES * LINE_SPACING_DOTS)
        raise TypeError(f"not a row: {row!r}")


def encode(receipt: Receipt, paper: Paper) -> list[Segment]:
    """The receipt as segments: reset (``ESC @``, leave Chinese mode), then one segment per row."""
    encoder = _Encoder(paper)
    return [Segment(INIT + CHINESE_OFF, 0, 0), *(encoder.segment(row) for row in layout(receipt, paper))]


def encode_bytes(receipt: Receipt, paper: Paper) -> bytes:
    return b"".join(segment.data for segment in encode(receipt, paper))
