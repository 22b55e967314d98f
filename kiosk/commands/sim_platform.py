"""``kiosk sim platform``: run the platform simulator on loopback until stopped (Ctrl-C or SIGTERM)."""

from __future__ import annotations

import argparse


def register(cli) -> None:
    p = cli.command("sim", "platform", help="Run the government service platform simulator on loopback")
    p.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--db", default="platform-sim.sqlite3", help="SQLite file of the simulator (kept across runs)")
    p.add_argument("--token", default="sim-device-token", help="the device token kiosks must present")
    p.add_argument("--residents", default=None, help="JSON file of test residents (default: the bundled set)")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="ENDPOINT:SETTING=V,…",
        help="fault injection, repeatable: e.g. applications:drop_after=0.2,error_rate=0.1 or *:latency=0.5; "
        "settings: error_rate error_status latency drop_before drop_after throttle_rate retry_after",
    )
    p.add_argument("--speed", type=float, default=1.0, help="clock speed for application progress (60 = 1 min/s)")
    p.add_argument("--seed", type=int, default=None, help="seed for fault draws")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import signal
    import sys
    import threading

    from drivers.sim.platform import Fault, PlatformSimulator

    try:
        faults = dict(Fault.parse(spec) for spec in args.fault)
    except ValueError as exc:
        print(f"kiosk sim platform: {exc}", file=sys.stderr)
        return 2
    sim = PlatformSimulator(
        args.db,
        host=args.host,
        port=args.port,
        token=args.token,
        residents=args.residents,
        seed=args.seed,
        speed=args.speed,
    )
    for endpoint, fault in faults.items():
        sim.set_faults(endpoint, fault)
    sim.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(sim.url, flush=True)
    print(f"token: {args.token}  db: {args.db}  faults: {', '.join(args.fault) or 'none'}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0
