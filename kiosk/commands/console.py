"""``kiosk fleet console`` and its companions: the operators' fleet console (docs/console.md).

Needs the ``[console]`` extra (``pip install 'tongban-kiosk[console]'``); a kiosk never installs it.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_DB = "sqlite:///console.db"


def register(cli: Any) -> None:
    p = cli.command("fleet", "console", help="run the fleet console: heartbeat ingest, pages, JSON API, alerts")
    p.add_argument("--listen", default="127.0.0.1:8780", metavar="HOST:PORT", help="default: %(default)s")
    p.add_argument(
        "--db", default=DEFAULT_DB, metavar="URL", help="sqlite:///FILE or postgresql://… (default: %(default)s)"
    )
    p.add_argument(
        "--repo", type=Path, metavar="REPO_DIR", help="the fleet repository, to show what each group is offered"
    )
    p.add_argument("--retention-days", type=float, default=30.0, help="heartbeat history kept (default: %(default)s)")
    p.add_argument(
        "--webhook", action="append", default=[], metavar="RULE=URL", help="POST alerts of RULE (or *) to URL"
    )
    p.add_argument("--webhook-rate", type=int, default=10, metavar="N", help="at most N webhooks per rule per minute")
    p.add_argument("--mqtt", default="", metavar="HOST:PORT", help="also take heartbeats from this MQTT broker")
    p.add_argument("--silent-beats", type=int, default=3, metavar="N", help="silent after N missed heartbeats")
    p.add_argument("--outbox-beats", type=int, default=5, metavar="N", help="outbox not draining for N heartbeats")
    p.add_argument("--heartbeat-interval", type=float, default=60.0, metavar="S", help="expected until observed")
    p.add_argument("--secure-cookies", action="store_true", help="behind HTTPS: cookies only over TLS")
    p.set_defaults(func=_serve)

    p = cli.command("fleet", "console-user", help="add an operator account of the console, or set its password/role")
    p.add_argument("name")
    p.add_argument("--role", choices=("viewer", "operator"), default="viewer")
    p.add_argument("--db", default=DEFAULT_DB, metavar="URL")
    p.set_defaults(func=_user)

    p = cli.command("fleet", "console-kiosk", help="register a kiosk with the console (prints its new token once)")
    p.add_argument("kiosk_id")
    p.add_argument("--group", default="all")
    p.add_argument("--site", default="")
    p.add_argument("--db", default=DEFAULT_DB, metavar="URL")
    p.add_argument("--token-file", type=Path, help="write the token to this file (mode 0600) instead of printing it")
    p.add_argument("--remove", action="store_true", help="retire the kiosk: registration, history and alerts go")
    p.set_defaults(func=_kiosk)

    p = cli.command(
        "fleet", "promote", help="offer the pilot group's bundle to the next group, when the pilot is healthy"
    )
    p.add_argument("repo", type=Path, metavar="REPO_DIR")
    p.add_argument("--from", dest="source", default="pilot", help="default: %(default)s")
    p.add_argument("--to", dest="target", default="all", help="default: %(default)s")
    p.add_argument("--db", default=DEFAULT_DB, metavar="URL", help="the console's database (the pilot's health)")
    p.add_argument("--force", action="store_true", help="promote although the pilot is not healthy")
    p.add_argument("--actor", default=os.environ.get("USER", "operator"))
    p.set_defaults(func=_promote)

    p = cli.command("fleet", "stop", help="stop a rollout: the console shows it stopped and promote refuses it")
    p.add_argument("--version", type=int, required=True)
    p.add_argument("--reason", required=True)
    p.add_argument("--db", default=DEFAULT_DB, metavar="URL")
    p.add_argument("--actor", default=os.environ.get("USER", "operator"))
    p.set_defaults(func=_stop)


def _store(url: str) -> Any:
    try:
        from sqlalchemy.exc import SQLAlchemyError

        from kiosk.console.store import Store, StoreError
    except ImportError as error:
        raise SystemExit(f"error: the fleet console needs the [console] extra ({error.name} is missing)") from None
    try:
        return Store(url)
    except (StoreError, SQLAlchemyError) as error:
        raise SystemExit(f"error: database {url.split('@')[-1]}: {str(error).splitlines()[0]}") from None


def _serve(args: Any) -> int:
    import logging

    try:
        from sqlalchemy.exc import SQLAlchemyError

        from kiosk.console.alerts import Thresholds
        from kiosk.console.server import ConsoleService, Options
        from kiosk.console.store import StoreError
        from kiosk.console.webhooks import parse_webhooks
    except ImportError as error:
        print(f"error: the fleet console needs the [console] extra ({error.name} is missing)", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host, _, port = args.listen.rpartition(":")
    try:
        hooks = parse_webhooks(args.webhook)
        options = Options(
            db=args.db, host=host.strip("[]") or "127.0.0.1", port=int(port), repo=args.repo,
            retention_days=args.retention_days, webhooks=hooks, webhook_rate=args.webhook_rate,
            mqtt_broker=args.mqtt, secure_cookies=args.secure_cookies,
            limits=Thresholds(silent_beats=args.silent_beats, outbox_stuck_beats=args.outbox_beats,
                              default_interval_s=args.heartbeat_interval),
        )  # fmt: skip
        service = ConsoleService(options)
    except (ValueError, OSError, StoreError, SQLAlchemyError) as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"fleet console on {service.url} (database: {service.store.dialect})", flush=True)
    service.run()
    return 0


def _user(args: Any) -> int:
    store = _store(args.db)
    from kiosk.console.auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        store.put_operator(args.name, hash_password(password), args.role)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"operator {args.name} ({args.role}) saved; their sessions were ended")
    return 0


def _kiosk(args: Any) -> int:
    import re

    from kiosk.console.store import GROUP_PATTERN

    if args.remove:
        if not _store(args.db).remove_kiosk(args.kiosk_id):
            print(f"error: no kiosk {args.kiosk_id} is registered", file=sys.stderr)
            return 1
        print(f"kiosk {args.kiosk_id} removed; its token no longer works")
        return 0
    if not re.match(GROUP_PATTERN, args.group):
        print(f"error: group must match {GROUP_PATTERN}", file=sys.stderr)
        return 1
    token = _store(args.db).add_kiosk(args.kiosk_id, args.group, args.site)
    if args.token_file:
        fd = os.open(args.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
        print(f"kiosk {args.kiosk_id} registered in group {args.group}; token in {args.token_file}")
    else:
        print(token)
    return 0


def _promote(args: Any) -> int:
    from kiosk.console.rollouts import pilot_health
    from kiosk.fleet.repo import BUNDLE_NAME, GROUP_PREFIX, FleetRepo, FleetRepoError

    store = _store(args.db)
    try:
        repo = FleetRepo(args.repo)
        source = next((g for g in repo.groups() if g.group == args.source), None)
        if source is None:
            print(f"error: group {args.source!r} is offered nothing", file=sys.stderr)
            return 1
        problems = pilot_health(store, args.source, source.version)
        if problems and not args.force:
            print(f"not promoting version {source.version}: group {args.source} is not healthy", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        bundle = repo.targets_dir / GROUP_PREFIX / args.source / f"{source.sha256}.{BUNDLE_NAME}"
        info = repo.publish(args.target, bundle, check=False)  # the pilot's kiosks validated it already
    except (FleetRepoError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    note = "forced: " + "; ".join(map(str, problems)) if problems else f"pilot {args.source} healthy"
    store.rollout_event(info.version, args.target, "promoted", args.actor, note[:500])
    print(f"group {args.target} now gets bundle version {info.version} (promoted from {args.source})")
    return 0


def _stop(args: Any) -> int:
    store = _store(args.db)
    store.rollout_event(args.version, "*", "stopped", args.actor, args.reason[:500])
    print(f"rollout of version {args.version} stopped; promote refuses it until a new version is published")
    return 0
