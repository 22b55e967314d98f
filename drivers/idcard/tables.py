"""Province-level regions (GB/T 2260) implied by the card's numbers; nations are in ``drivers.identity``."""

from __future__ import annotations

# Province-level divisions (first two digits of a division code), plus 71 Taiwan and the
# 81/82/83 prefixes of Hong Kong / Macao / Taiwan residence-permit numbers. Full six-digit tables
# change every year; a site may plug one in (see IdCardReader's ``known_region``).
_PROVINCE_LIST = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83"
)
PROVINCES: frozenset[str] = frozenset(_PROVINCE_LIST.split())
