"""``kiosk selftest [--json]``: open the configured devices, wait for them, and say whether the kiosk can serve.

For scripts and monitoring: exit 0 only when every required device is ready. It opens the devices itself, so run
it while the kiosk app is stopped (or point it at simulators); the running app reports the same through the
heartbeat and the staff menu.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def register(cli) -> None:
    p = cli.command("selftest", help="check every configured device; exit 0 only when all required ones are ready")
    p.add_argument("--config", type=Path, help="site configuration file")
    p.add_argument("--data-dir", type=Path, help="the kiosk's data folder")
    p.add_argument("--wait", type=float, default=10.0, help="seconds to give devices to come up (default 10)")
    p.add_argument("--json", action="store_true", help="print the readiness report as JSON")
    p.set_defaults(func=_selftest)


def _selftest(args: argparse.Namespace) -> int:
    from kiosk.config import load_settings
    from kiosk.hardware import Hardware
    from kiosk.launch import resolve_data_dir

    settings = load_settings(site_file=args.config).settings
    data_dir = resolve_data_dir(args.data_dir, settings)
    data_dir.mkdir(parents=True, exist_ok=True)
    with Hardware.start(settings, data_dir, delivery=False) as hardware:
        deadline = time.monotonic() + args.wait
        supervisor = hardware.supervisor
        assert supervisor is not None  # Hardware.start made it
        # Wait until every device has said something beyond "opening" (optional ones too), or time runs out.
        while time.monotonic() < deadline and not (
            supervisor.overall().ready and all(device.state != "offline" for device in supervisor.snapshot())
        ):
            time.sleep(0.2)
            supervisor.tick()
        readiness = supervisor.overall()
        report = readiness.to_json()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print("ready" if readiness.ready else "NOT READY: " + ", ".join(readiness.not_ready))
    return 0 if readiness.ready else 1
