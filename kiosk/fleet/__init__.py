"""Fleet configuration: signed bundles through The Update Framework (docs/fleet.md).

Operators: ``FleetRepo`` (init, publish, refresh, rotate_key, show) and ``pack``. Kiosks: ``FleetUpdater`` and the
accessors of what is applied (``current_layer`` for ``kiosk.config.load_settings(remote=...)``, ``current_bundle``,
``applied_version`` for the heartbeat, ``applied_catalog_dir``, ``applied_holidays``, ``active_notices``).

Names are imported on first use, so reading what is applied at start-up does not load TUF and its crypto.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "kiosk.fleet.bundle": ("VALIDATORS", "Bundle", "BundleError", "check_bundle", "pack", "read_bundle", "unpack"),
    "kiosk.fleet.repo": ("FleetRepo", "FleetRepoError", "group_target"),
    "kiosk.fleet.updater": ("FleetUpdater", "PullResult"),
    "kiosk.fleet.applied": (
        "active_notices",
        "applied_catalog_dir",
        "applied_holidays",
        "applied_version",
        "current_bundle",
        "current_layer",
    ),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'kiosk.fleet' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
