"""What fleet bundle is applied on this kiosk, read without importing TUF (start-up stays fast).

The updater (``kiosk.fleet.updater``) writes ``<data>/fleet/current``; everything here only reads it.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from kiosk.config import Layer
from kiosk.fleet.bundle import Bundle, BundleError, read_bundle
from kiosk.workdays import YearTable

log = logging.getLogger(__name__)


def fleet_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "fleet"


def current_bundle(data_dir: Path) -> Bundle | None:
    """The applied bundle, or None when none was ever applied (or it can no longer be read)."""
    link = fleet_dir(data_dir) / "current"
    if not link.is_dir():
        return None
    try:
        return read_bundle(link.resolve())
    except BundleError as error:
        log.error("applied fleet bundle unreadable: %s", error)
        return None


def current_layer(data_dir: Path) -> Layer | None:
    """The applied bundle's settings as the ``remote`` layer for ``kiosk.config.load_settings``."""
    bundle = current_bundle(data_dir)
    if bundle is None:
        return None
    return Layer("remote", f"fleet bundle v{bundle.version}", bundle.settings)


def applied_version(data_dir: Path) -> int | None:
    bundle = current_bundle(data_dir)
    return None if bundle is None else bundle.version


def applied_catalog_dir(data_dir: Path) -> Path | None:
    bundle = current_bundle(data_dir)
    return None if bundle is None else bundle.catalog_dir


def applied_holidays(data_dir: Path) -> dict[int, YearTable]:
    bundle = current_bundle(data_dir)
    return {} if bundle is None else bundle.holidays()


def active_notices(data_dir: Path, at: dt.datetime | None = None) -> list[Any]:
    bundle = current_bundle(data_dir)
    return [] if bundle is None else bundle.active_notices(at)
