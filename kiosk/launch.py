"""What ``kiosk run`` and ``kiosk demo`` share: load configuration, pick the data folder, start logging."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kiosk import clock, logs
from kiosk.config import LoadedConfig, Settings, load_settings
from kiosk.core import Kiosk
from kiosk.health import Health
from kiosk.safe_mode import beacon_settings, site_refusal

log = logging.getLogger(__name__)


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tongban"


def resolve_data_dir(given: Path | None, settings: Settings) -> Path:
    """``--data-dir``, else ``kiosk.data_dir`` from the configuration, else the XDG data folder."""
    if given is not None:
        return given
    return Path(settings.kiosk.data_dir) if settings.kiosk.data_dir else default_data_dir()


def start_core(config_file: Path | None, data_dir: Path | None) -> Kiosk:
    """Configuration (refused layers are logged, the last good one runs), logging, then the core."""
    first = load_settings(site_file=config_file, state_dir=None)
    chosen = resolve_data_dir(data_dir, first.settings)
    clock.configure(first.settings.kiosk.time_zone)  # the logs' times too
    unusable = None
    try:
        chosen.mkdir(parents=True, exist_ok=True)
        logs.setup(chosen / "logs", first.settings.kiosk.log_level)
    except OSError as error:  # a file in the way, a read-only or foreign folder: safe mode, the log to the journal
        unusable = f"{chosen}: {error}"
        journal = logging.StreamHandler()
        journal.addFilter(logs.RedactingFilter())
        logging.getLogger().addHandler(journal)
    from kiosk.fleet.applied import current_layer  # the last verified remote bundle, if one was applied

    remote = current_layer(chosen)
    state_dir = None if unusable else chosen / "state"
    loaded: LoadedConfig = load_settings(site_file=config_file, remote=remote, state_dir=state_dir)
    for outcome in loaded.outcomes:
        if outcome.applied:
            log.info("configuration layer %s applied from %s", outcome.name, outcome.source)
        else:
            log.error(
                "configuration layer %s refused (%s); running on %s",
                outcome.name,
                "; ".join(outcome.errors),
                "its last good copy" if outcome.fallback else "the layers below it",
            )
    health = Health(chosen)
    refusal = site_refusal(loaded)
    if unusable is None and refusal is not None:  # the heartbeat's settings: what can be known (kiosk.safe_mode)
        loaded = LoadedConfig(beacon_settings(loaded, health.known_kiosk_id), loaded.outcomes)
    elif unusable is None and any(o.name == "site" for o in loaded.outcomes):
        health.remember_kiosk_id(loaded.settings.kiosk.id)
    core = Kiosk(loaded, chosen, config_file, health=health)
    core.health.record_start()
    if unusable is not None:  # nowhere to keep applications or the audit trail: nothing may start
        core.health.out_of_service("data_dir_unusable", unusable, hardware=False)
    elif refusal is not None:  # never packaged defaults (simulators, K0001) in place of a site's configuration
        core.health.out_of_service("site_file_refused", refusal, devices=False)
    elif any(o.name == "site" and o.fallback for o in loaded.outcomes):
        core.health.fault("site_file_fallback", "the site file is refused; running on its last good copy")
    return core
