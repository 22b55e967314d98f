"""Fleet configuration: signed bundles through The Update Framework (docs/fleet.md).

Operators: ``FleetRepo`` (init, publish, refresh, rotate_key, show) and ``pack``. Kiosks: ``FleetUpdater`` and the
accessors of what is applied (``current_layer`` for ``kiosk.config.load_settings(remote=...)``, ``current_bundle``,
``applied_version`` for the heartbeat, ``applied_catalog_dir``, ``applied_holidays``, ``active_notices``).
"""

from kiosk.fleet.bundle import VALIDATORS, Bundle, BundleError, check_bundle, pack, read_bundle, unpack
from kiosk.fleet.repo import FleetRepo, FleetRepoError, group_target
from kiosk.fleet.updater import (
    FleetUpdater,
    PullResult,
    active_notices,
    applied_catalog_dir,
    applied_holidays,
    applied_version,
    current_bundle,
    current_layer,
)

__all__ = [
    "VALIDATORS",
    "Bundle",
    "BundleError",
    "FleetRepo",
    "FleetRepoError",
    "FleetUpdater",
    "PullResult",
    "active_notices",
    "applied_catalog_dir",
    "applied_holidays",
    "applied_version",
    "check_bundle",
    "current_bundle",
    "current_layer",
    "group_target",
    "pack",
    "read_bundle",
    "unpack",
]
