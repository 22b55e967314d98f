"""The CJK font for receipt pictures (the screen preview and the emulator's paper)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

CJK_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


def find_cjk_font() -> Path:
    for candidate in CJK_FONT_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    looked = ", ".join(CJK_FONT_PATHS)
    raise FileNotFoundError(f"no CJK font found; install fonts-wqy-microhei (looked in: {looked})")


@cache
def cjk_font(pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_cjk_font()), pixels)
