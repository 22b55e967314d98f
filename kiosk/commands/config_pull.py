"""``kiosk config pull --once``: one round of fleet configuration updates (docs/fleet.md)."""

from __future__ import annotations

from pathlib import Path


def register(cli) -> None:
    p = cli.command("config", "pull", help="fetch, verify and apply this kiosk group's signed configuration bundle")
    p.add_argument("--once", action="store_true", required=True, help="one round, then exit")
    p.add_argument("--config", type=Path, help="site file (default: /etc/tongban/kiosk.toml if present)")
    p.add_argument("--data-dir", type=Path, help="data folder (default: kiosk.data_dir or ~/.local/share/tongban)")
    p.set_defaults(func=_pull)


def _pull(args) -> int:
    from kiosk.config import load_settings
    from kiosk.fleet.updater import FleetUpdater, current_layer
    from kiosk.launch import resolve_data_dir

    local = load_settings(site_file=args.config).settings
    data_dir = resolve_data_dir(args.data_dir, local)
    # The applied bundle may itself tune the fleet section (group, interval), as it does for the running kiosk.
    settings = load_settings(site_file=args.config, remote=current_layer(data_dir)).settings
    # From the command line there is no resident session to wait for.
    updater = FleetUpdater.from_settings(settings, data_dir, site_file=args.config)
    result = updater.poll_once()
    print(result.describe())
    return 0 if result.outcome in ("applied", "up_to_date", "off", "deferred") else 1
