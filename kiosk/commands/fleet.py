"""``kiosk fleet …``: the operators' TUF repository of configuration bundles (docs/fleet.md)."""

from __future__ import annotations

import sys
from pathlib import Path


def register(cli) -> None:
    p = cli.command("fleet", "init", help="create a fleet repository: keys for every role and root metadata")
    p.add_argument("repo", type=Path, metavar="REPO_DIR")
    p.set_defaults(func=_init)

    p = cli.command("fleet", "pack", help="build a configuration bundle from a folder (validated like a kiosk would)")
    p.add_argument("folder", type=Path, metavar="DIR")
    p.add_argument("--out", type=Path, required=True, metavar="BUNDLE")
    p.set_defaults(func=_pack)

    p = cli.command(
        "fleet",
        "publish",
        help="make BUNDLE what a group of kiosks gets (new targets, snapshot, timestamp)",
    )
    p.add_argument("repo", type=Path, metavar="REPO_DIR")
    p.add_argument("--group", required=True, help="rollout group, e.g. pilot or all")
    p.add_argument("bundle", type=Path, metavar="BUNDLE")
    p.add_argument("--skip-check", action="store_true", help="do not validate against this host's schema")
    p.add_argument("--nudge", metavar="HOST:PORT", help="then tell the group's kiosks over MQTT to poll now")
    p.add_argument("--topic", default="tongban/fleet/{group}", help="MQTT topic template (default: %(default)s)")
    p.set_defaults(func=_publish)

    p = cli.command("fleet", "refresh", help="re-sign snapshot and timestamp with fresh expiry (run daily from cron)")
    p.add_argument("repo", type=Path, metavar="REPO_DIR")
    p.set_defaults(func=_refresh)

    p = cli.command("fleet", "rotate-key", help="replace a role's key through a new root version")
    p.add_argument("repo", type=Path, metavar="REPO_DIR")
    p.add_argument("--role", required=True, choices=("root", "targets", "snapshot", "timestamp"))
    p.add_argument("--root-key", type=Path, help="the offline root key (default: REPO_DIR/keys/root.pem)")
    p.set_defaults(func=_rotate)

    p = cli.command("fleet", "show", help="what each group gets, metadata versions and expiry dates")
    p.add_argument("repo", type=Path, metavar="REPO_DIR")
    p.set_defaults(func=_show)


def _fail(error: Exception) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 1


def _init(args) -> int:
    from kiosk.fleet.repo import FleetRepo, FleetRepoError

    try:
        repo = FleetRepo.init(args.repo)
    except FleetRepoError as error:
        return _fail(error)
    print(f"fleet repository created in {repo.path}\n")
    print(repo.guidance())
    return 0


def _pack(args) -> int:
    from kiosk.fleet.bundle import BundleError, pack

    try:
        bundle = pack(args.folder, args.out)
    except BundleError as error:
        print(f"{args.folder}: bundle refused:", file=sys.stderr)
        for message in error.messages:
            print(f"  {message}", file=sys.stderr)
        return 1
    print(f"{args.out}: bundle version {bundle.version} ({bundle.note})")
    return 0


def _publish(args) -> int:
    from kiosk.fleet.repo import FleetRepo, FleetRepoError

    try:
        info = FleetRepo(args.repo).publish(args.group, args.bundle, check=not args.skip_check)
    except (FleetRepoError, ValueError) as error:
        return _fail(error)
    print(f"group {info.group} now gets bundle version {info.version} ({info.length} bytes): {info.note}")
    if args.nudge:
        from kiosk.fleet.nudge import send_nudge, topic_for

        topic = topic_for(args.topic, args.group)
        try:
            send_nudge(args.nudge, topic, args.group, info.version)
        except (OSError, TimeoutError, ValueError) as error:
            print(f"published, but the MQTT nudge failed ({error}); kiosks pick it up at their next poll")
            return 0
        print(f"nudged {topic} on {args.nudge}")
    return 0


def _refresh(args) -> int:
    from kiosk.fleet.repo import FleetRepo, FleetRepoError

    try:
        repo = FleetRepo(args.repo)
        repo.refresh()
    except FleetRepoError as error:
        return _fail(error)
    print(f"timestamp version {repo.timestamp().signed.version}, expires {repo.timestamp().signed.expires.isoformat()}")
    return 0


def _rotate(args) -> int:
    from kiosk.fleet.repo import FleetRepo, FleetRepoError

    try:
        repo = FleetRepo(args.repo, root_key=args.root_key)
        new = repo.rotate_key(args.role)
    except FleetRepoError as error:
        return _fail(error)
    print(f"{args.role} key is now {new.public_key.keyid[:16]}… (root version {repo.root().signed.version})")
    print(f"the new private key is in {repo.key_path(args.role)} (mode 0600); the old one is no longer trusted")
    if args.role == "root":
        print("keep the new root key offline as before, and destroy every copy of the old one")
    return 0


def _show(args) -> int:
    from kiosk.fleet.repo import FleetRepo, FleetRepoError

    try:
        print(FleetRepo(args.repo).show())
    except FleetRepoError as error:
        return _fail(error)
    return 0
