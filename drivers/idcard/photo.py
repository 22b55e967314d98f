"""Photo decoder plug-ins: the card's 1024 photo bytes are WLT data, a proprietary codec.

The driver keeps the raw bytes on ``Identity.photo`` and decodes them only through a configured
plug-in, a callable ``decoder(raw: bytes) -> PhotoImage``. A plug-in is named by a spec string:

- ``"package.module:function"``: a Python callable (the simulator's JPEG stand-in decoder is
  ``drivers.idcard.standin_photo:decode_standin``);
- ``"ctypes:/opt/vendor/libwlt2bmp.so"`` (or any path ending ``.so``): a vendor library loaded with
  ctypes that exports the common ``int unpack(char *wlt, char *bmp, int save)`` (1 = success),
  writing a 102×126 24-bit BMP (or its bare pixel array) into ``bmp``. The symbol name can be
  given after a second colon: ``"ctypes:/opt/lib/libwlt.so:Wlt2Bmp"``. Vendor conventions vary:
  check the vendor's header.

With no plug-in there is no photo image (the kiosk shows none).
"""

from __future__ import annotations

import ctypes
import importlib
from collections.abc import Callable
from dataclasses import dataclass

PHOTO_WIDTH = 102
PHOTO_HEIGHT = 126
_ROW = (PHOTO_WIDTH * 3 + 3) & ~3
_BMP_SIZE = 54 + _ROW * PHOTO_HEIGHT  # 38862


@dataclass(frozen=True)
class PhotoImage:
    width: int
    height: int
    bgr: bytes  # top-down rows of B, G, R bytes, no row padding (what OpenCV and Kivy's 'bgr' take)


PhotoDecoder = Callable[[bytes], PhotoImage]


class PhotoDecodeError(Exception):
    """A plug-in could not decode the photo; the read still succeeds, without an image."""


def load_photo_decoder(spec: str | PhotoDecoder | None) -> PhotoDecoder | None:
    if spec is None or spec == "":
        return None
    if callable(spec):
        return spec
    if spec.startswith("ctypes:") or spec.endswith(".so"):
        path, _, symbol = spec.removeprefix("ctypes:").partition(":")
        return VendorLibrary(path, symbol or "unpack")
    module_name, sep, attr = spec.partition(":")
    if not sep:
        raise ValueError(f"photo decoder {spec!r} is neither 'module:function' nor 'ctypes:PATH'")
    decoder = getattr(importlib.import_module(module_name), attr)
    if not callable(decoder):
        raise ValueError(f"photo decoder {spec!r} is not callable")
    return decoder


class VendorLibrary:
    """A WLT decoder in a vendor shared library (called on the device worker thread only)."""

    def __init__(self, path: str, symbol: str = "unpack") -> None:
        self._function = getattr(ctypes.CDLL(path), symbol)
        self._function.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int)
        self._function.restype = ctypes.c_int

    def __call__(self, raw: bytes) -> PhotoImage:
        out = ctypes.create_string_buffer(_BMP_SIZE + 1024)  # slack for libraries that write more
        result = self._function(bytes(raw), out, 0)
        if result != 1:
            raise PhotoDecodeError(f"vendor decoder returned {result}")
        data = out.raw
        return bmp_to_image(data if data.startswith(b"BM") else _bmp_header() + data[: _BMP_SIZE - 54])


def _bmp_header() -> bytes:
    size = _BMP_SIZE
    return (
        b"BM"
        + size.to_bytes(4, "little")
        + bytes(4)
        + (54).to_bytes(4, "little")
        + (40).to_bytes(4, "little")
        + PHOTO_WIDTH.to_bytes(4, "little")
        + PHOTO_HEIGHT.to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (24).to_bytes(2, "little")
        + bytes(24)
    )


def bmp_to_image(bmp: bytes) -> PhotoImage:
    """An uncompressed 24-bit BMP (bottom-up or top-down) as a PhotoImage."""
    if len(bmp) < 54 or not bmp.startswith(b"BM"):
        raise PhotoDecodeError("not a BMP")
    offset = int.from_bytes(bmp[10:14], "little")
    width = int.from_bytes(bmp[18:22], "little", signed=True)
    height = int.from_bytes(bmp[22:26], "little", signed=True)
    bits = int.from_bytes(bmp[28:30], "little")
    if bits != 24 or width <= 0 or height == 0:
        raise PhotoDecodeError(f"unsupported BMP {width}x{height}x{bits}")
    stride = (width * 3 + 3) & ~3
    rows = abs(height)
    if len(bmp) < offset + stride * rows:
        raise PhotoDecodeError("BMP pixel data truncated")
    lines = [bmp[offset + r * stride : offset + r * stride + width * 3] for r in range(rows)]
    if height > 0:
        lines.reverse()
    return PhotoImage(width, rows, b"".join(lines))
