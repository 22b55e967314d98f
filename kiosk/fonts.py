"""Find a font that has Chinese glyphs; Kivy's default (Roboto) has none."""

from __future__ import annotations

import os
from pathlib import Path

# Order matters: WenQuanYi's .ttc opens its Chinese face first; Noto CJK .ttc files open the Japanese face,
# so they come after the single-face and SC-specific files.
CJK_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class FontNotFound(RuntimeError):
    pass


def cjk_font_candidates(candidates: tuple[str, ...] = CJK_FONT_PATHS) -> list[Path]:
    """Every CJK font file present, best first; ``TONGBAN_CJK_FONT`` goes before the list. The UI tries them in
    this order and takes the first that renders (a corrupt or truncated file is skipped, see screens.app)."""
    override = os.environ.get("TONGBAN_CJK_FONT")
    found: list[Path] = []
    for candidate in ((override,) if override else ()) + candidates:
        path = Path(candidate)
        if path.is_file() and path not in found:
            found.append(path)
    return found


def find_cjk_font(candidates: tuple[str, ...] = CJK_FONT_PATHS) -> Path:
    """The first CJK font present; ``TONGBAN_CJK_FONT`` overrides the list."""
    for path in cjk_font_candidates(candidates):
        return path
    raise FontNotFound(
        "no Chinese font found (looked for " + ", ".join(candidates) + "); "
        "install the Debian package fonts-wqy-microhei (make install does)"
    )
