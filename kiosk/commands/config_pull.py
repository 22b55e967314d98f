"""``kiosk config pull --once``: one round of fleet configuration updates (docs/fleet.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.cli import Cli


def register(cli: Cli) -> None:
    p = cli.command("config", "pull", help="fetch, verify and apply this kiosk group's signed configuration bundle")
    p.add_argument("--once", action="store_true", required=True, help="one round, then exit")
    p.add_argument("--config", type=Path, help="site file (default: /etc/tongban/kiosk.toml if present)")
    p.add_argument("--data-dir", type=Path, help="data folder (default: kiosk.data_dir or ~/.local/share/tongban)")
    p.set_defaults(func=_pull)


def _pull(args: argparse.Namespace) -> int:
    from kiosk.audit import FILE_NAME, AuditTrail
    from kiosk.config import load_settings
    from kiosk.core import platform_answers
    from kiosk.fleet.updater import FleetUpdater, current_layer, trail_audit
    from kiosk.launch import resolve_data_dir

    local = load_settings(site_file=args.config).settings
    data_dir = resolve_data_dir(args.data_dir, local)
    # The applied bundle may itself tune the fleet section (group, interval), as it does for the running kiosk.
    settings = load_settings(site_file=args.config, remote=current_layer(data_dir)).settings
    # From the command line there is no resident session to wait for. The same audit records and the same
    # platform check as the running kiosk: a bundle moving the platform to a gateway that answers applies.
    trail = AuditTrail(data_dir / FILE_NAME)
    try:
        updater = FleetUpdater.from_settings(
            settings, data_dir, site_file=args.config, audit=trail_audit(lambda: trail),
            platform_check=lambda url: platform_answers(args.config, data_dir, url),
        )  # fmt: skip
        result = updater.poll_once()
    finally:
        trail.close()
    print(result.describe())
    return 0 if result.outcome in ("applied", "up_to_date", "off", "deferred") else 1
