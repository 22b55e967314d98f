"""Loaded by the kiosk under test through PYTHONPATH (tests/field only): takes away what a test cannot remove from
this machine — ``TONGBAN_TEST_FAULT=no_font`` (no CJK font file is usable, as when fonts-wqy-microhei was purged) or
``no_catalog`` (not one catalog loads: the packaged one is damaged too). Everything else runs as shipped."""

from __future__ import annotations

import os
from pathlib import Path

_FAULT = os.environ.get("TONGBAN_TEST_FAULT", "")

if _FAULT == "no_font":
    import kiosk.fonts

    kiosk.fonts.cjk_font_candidates = lambda candidates=(): []  # type: ignore[assignment]
elif _FAULT == "no_catalog":
    import kiosk.safe_mode

    kiosk.safe_mode.catalog_sources = lambda _data_dir: [("the packaged catalog", Path("/nonexistent/catalog"))]  # type: ignore[assignment]
