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
  defaults would make a real kiosk pretend to serve as K0001 on simulators. No device or outbox starts; the
  heartbeat and the fleet updater run on what can be known (``beacon_settings``), so the operator still sees the
  kiosk and why it is out of service;
- ``catalog_unavailable``: no catalog loads at all; ``font_missing``: no CJK font renders;
- ``hardware_failed``: devices, platform client or stores did not start (retried with back-off); between the
  retries the platform client alone runs for the heartbeat (``Kiosk.start_beacon``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import LoadedConfig, Settings

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


MACHINE_ID = Path("/etc/machine-id")
SALVAGED = ("platform", "fleet")  # sections of a refused site file that are used when they validate on their own


def site_refusal_source(loaded: LoadedConfig) -> Path | None:
    for outcome in loaded.outcomes:
        if outcome.name == "site" and not outcome.applied and not outcome.fallback:
            return Path(outcome.source)
    return None


def machine_kiosk_id() -> str:
    """An id that names this machine when no configuration names the kiosk: never the packaged K0001, which
    would speak for another kiosk."""
    try:
        machine = MACHINE_ID.read_text("ascii").strip()[:12]
    except OSError:
        machine = ""
    return f"machine-{machine}" if machine.isalnum() else f"machine-{os.uname().nodename}"[:32]


def beacon_settings(loaded: LoadedConfig, known_kiosk_id: str | None) -> Settings:
    """The settings safe mode heartbeats on when the site file is refused: the layers that loaded (packaged
    defaults and the last good fleet bundle), the kiosk id this data folder last ran as, else the refused file's
    own id, else the machine's; the refused file's [platform] and [fleet] tables each where they validate on their
    own (the gateway and fleet repository it names, with their credentials), else the bundle's or the defaults'."""
    from kiosk.config import ConfigError
    from kiosk.config.loader import deep_merge, read_toml
    from kiosk.config.schema import KioskSection

    settings = loaded.settings
    source = site_refusal_source(loaded)
    try:
        refused = read_toml(source) if source is not None else {}
    except ConfigError:  # not even TOML: nothing of it is known
        refused = {}
    pieces = {name: refused.get(name) for name in SALVAGED}
    for name, piece in pieces.items():
        if not isinstance(piece, dict):
            continue
        section = getattr(settings, name)
        try:
            salvaged = type(section).model_validate(deep_merge(section.model_dump(), piece))
        except ValueError as error:  # pydantic's ValidationError
            log.error("safe mode: [%s] of the refused site file is not used either: %s", name, str(error)[:200])
            continue
        settings = settings.model_copy(update={name: salvaged})
    named = refused.get("kiosk", {}).get("id") if isinstance(refused.get("kiosk"), dict) else None
    for kiosk_id in (known_kiosk_id, named, machine_kiosk_id()):
        try:
            kiosk = KioskSection.model_validate({**settings.kiosk.model_dump(), "id": kiosk_id})
        except ValueError:
            continue
        return settings.model_copy(update={"kiosk": kiosk})
    return settings


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
