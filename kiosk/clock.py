"""The kiosk's one clock: every time shown, printed or recorded is in the kiosk's configured time zone.

A kiosk PC often runs with its system clock in UTC; the resident lives in ``kiosk.time_zone`` (default
Asia/Shanghai). The core calls :func:`configure` whenever settings load; everything else asks this module
(:func:`now`, :func:`today`, :func:`local`) instead of ``datetime.now()`` or ``time.localtime()``, so the home
clock, the receipt, the progress screen, the staff pages and the logs all agree.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"

_zone: dt.tzinfo = ZoneInfo(DEFAULT_ZONE)


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError naming it when the time-zone database does not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)") from None


def configure(name: str) -> None:
    global _zone
    _zone = zone_of(name)


def zone() -> dt.tzinfo:
    return _zone


def now() -> dt.datetime:
    """The current moment in the kiosk's zone (timezone-aware)."""
    return dt.datetime.now(_zone)


def today() -> dt.date:
    return now().date()


def local(moment: dt.datetime | float) -> dt.datetime:
    """A moment (aware datetime, or epoch seconds) in the kiosk's zone; a naive datetime is taken as UTC."""
    if isinstance(moment, int | float):
        return dt.datetime.fromtimestamp(moment, _zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(_zone)


def stamp(moment: dt.datetime | float | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment as the resident and staff read it (now when None)."""
    return local(time.time() if moment is None else moment).strftime(fmt)
