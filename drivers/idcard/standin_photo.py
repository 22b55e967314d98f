"""Photo plug-in for the simulator's cards: their 1024 photo bytes are a JPEG padded with zeros.

Configure it as ``photo_decoder="drivers.idcard.standin_photo:decode_standin"``; real cards carry WLT
data and need the vendor's decoder instead (see drivers.idcard.photo).
"""

from __future__ import annotations

import io

from PIL import Image

from drivers.idcard.photo import PHOTO_HEIGHT, PHOTO_WIDTH, PhotoDecodeError, PhotoImage


def decode_standin(raw: bytes) -> PhotoImage:
    end = raw.rfind(b"\xff\xd9")
    if not raw.startswith(b"\xff\xd8") or end < 0:
        raise PhotoDecodeError("not a JPEG stand-in")
    with Image.open(io.BytesIO(raw[: end + 2])) as image:
        rgb = image.convert("RGB").resize((PHOTO_WIDTH, PHOTO_HEIGHT))
    b, g, r = rgb.split()
    return PhotoImage(PHOTO_WIDTH, PHOTO_HEIGHT, Image.merge("RGB", (b, g, r)).tobytes())
