"""Start-up faults the kiosk works around, and the ones that put it in safe mode (issue 17).

Worked around (the kiosk serves, the heartbeat's ``last_start_fault`` says what happened):
- a corrupt outbox or audit database: quarantined, a fresh one opened (``kiosk.quarantine``, ``kiosk.hardware``);
- an unusable font: the next CJK font that renders (``screens.app.register_cjk_font``);
- a catalog that no longer loads: the last good one — an earlier fleet bundle's, else the packaged one
  (``usable_catalog``);
- a refused site file with a last good copy: that copy (``kiosk.config``).

Safe mode (``Health.out_of_service``): the kiosk cannot serve residents, so it shows the out-of-service screen with
the hotline and the nearest alternatives, keeps feeding the watchdog (no restart loop), keeps the fleet updater
running where one is configured so a fix can arrive, and says why in the heartbeat and systemd's ``STATUS=``:
- ``site_file_refused``: the site file is refused and no good copy of it ever loaded — running on packaged
  defaults would make a real kiosk pretend to serve as K0001 on simulators;
- ``catalog_unavailable``: no catalog loads at all; ``font_missing``: no CJK font renders;
- ``hardware_failed``: devices, platform client or stores did not start (retried with back-off).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import LoadedConfig

log = logging.getLogger(__name__)

Fault = Callable[[str, str], Any]  # Health.fault


class CatalogUnavailable(RuntimeError):
    """Not one catalog loads: the applied bundle's, earlier bundles', the packaged one."""


def site_refusal(loaded: LoadedConfig) -> str | None:
    """Why the site file was refused when no good copy of it stands in (a new data folder), else None."""
    for outcome in loaded.outcomes:
        if outcome.name == "site" and not outcome.applied and not outcome.fallback:
            return f"{outcome.source}: " + "; ".join(outcome.errors)[:400]
    return None


def catalog_sources(data_dir: Path) -> list[tuple[str, Path]]:
    """Where a catalog may come from, best first: the applied fleet bundle, earlier bundles (newest first),
    the packaged catalog."""
    from kiosk.fleet.applied import applied_catalog_dir, fleet_dir
    from kiosk.fleet.bundle import BundleError, read_bundle
    from kiosk.paths import config_dir

    sources: list[tuple[str, Path]] = []
    applied = applied_catalog_dir(data_dir)
    if applied is not None:
        sources.append(("the applied fleet bundle", applied))
    bundles = fleet_dir(data_dir) / "bundles"
    current = (fleet_dir(data_dir) / "current").resolve() if (fleet_dir(data_dir) / "current").exists() else None
    earlier = [b for b in bundles.iterdir() if b.is_dir() and b.resolve() != current] if bundles.is_dir() else []
    for folder in sorted(earlier, key=lambda b: b.stat().st_mtime, reverse=True):
        try:
            catalog_dir = read_bundle(folder).catalog_dir
        except (BundleError, OSError):
            continue
        if catalog_dir is not None:
            sources.append((f"fleet bundle {folder.name}", catalog_dir))
    sources.append(("the packaged catalog", config_dir() / "catalog"))
    return sources


def usable_catalog(data_dir: Path, fault: Fault) -> Any:
    """The best catalog that loads; a fall-back is reported through ``fault`` (code ``catalog_fallback``)."""
    from kiosk.catalog import CatalogError, load_catalog

    refused: list[str] = []
    for name, folder in catalog_sources(data_dir):
        try:
            catalog = load_catalog(folder)
        except (CatalogError, OSError, ValueError) as error:  # ValueError: undecodable bytes
            log.error("catalog of %s refused: %s", name, str(error)[:300])
            refused.append(f"{name}: {str(error)[:200]}")
            continue
        if refused:
            fault("catalog_fallback", "; ".join(refused) + f"; using {name}")
        return catalog
    raise CatalogUnavailable("; ".join(refused))
