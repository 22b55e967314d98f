"""The ``kiosk`` command: one entry point, subcommands registered by modules in ``kiosk.commands``.

Each module there has ``register(cli: Cli) -> None`` and adds its commands with
``cli.command("device", "read-id", help=...)``. Heavy imports belong inside the handlers so that
``kiosk version`` and the first frame of ``kiosk run`` stay fast.

Packages above ``kiosk`` in the layers add commands through the ``tongban.commands`` entry point group
(``module:register`` or a module with ``register``): ``screens`` registers ``kiosk run`` and ``kiosk demo`` there,
so the command line reaches the touchscreen app without ``kiosk`` importing it.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import tomllib
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from kiosk import commands


class Cli:
    def __init__(self) -> None:
        self.parser = argparse.ArgumentParser(prog="kiosk", description="Tongban 通办 self-service kiosk")
        self._top = self.parser.add_subparsers(dest="command", metavar="COMMAND")
        self._groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}

    def command(self, *path: str, help: str) -> argparse.ArgumentParser:
        """Add ``kiosk <group> <name>`` (or ``kiosk <name>`` with one word); returns its parser.

        The handler is set with ``parser.set_defaults(func=handler)``; it takes the parsed args
        and returns the exit status.
        """
        if len(path) == 1:
            return self._top.add_parser(path[0], help=help, description=help)
        group, name = path
        if group not in self._groups:
            group_parser = self._top.add_parser(group, help=f"{group} commands")
            self._groups[group] = group_parser.add_subparsers(dest=f"{group}_command", metavar="COMMAND")
            group_parser.set_defaults(func=lambda _args, p=group_parser: _usage(p))
        return self._groups[group].add_parser(name, help=help, description=help)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


ENTRY_POINT_GROUP = "tongban.commands"


def command_entry_points() -> list[metadata.EntryPoint]:
    """The ``tongban.commands`` entry points: the installed ones, and in a source checkout also those its
    pyproject.toml declares — a checkout run without ``pip install`` (``python -m kiosk``), or a virtualenv
    installed before an entry point was added, would otherwise lose ``kiosk run`` and ``kiosk demo`` from
    ``kiosk --help`` (``make install`` reinstalls when pyproject.toml changes, a hand-made venv does not)."""
    found = {entry.name: entry for entry in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text("utf-8")).get("project", {})
        declared: dict[str, str] = project.get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
        for name, value in declared.items():
            found.setdefault(name, metadata.EntryPoint(name, value, ENTRY_POINT_GROUP))
    return [found[name] for name in sorted(found)]


def build() -> Cli:
    cli = Cli()
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{module.name}").register(cli)
    for entry in command_entry_points():
        loaded = entry.load()
        register: Callable[[Cli], None] = getattr(loaded, "register", loaded)
        register(cli)
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    from kiosk.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before any command starts a thread
    cli = build()
    args = cli.parser.parse_args(argv)
    if not getattr(args, "func", None):
        return _usage(cli.parser)
    return _run(args)


EXIT_INTERNAL = 70  # EX_SOFTWARE: a fault in the command itself


def _run(args: argparse.Namespace) -> int:
    """Every command ends with a message and an exit code: a full disk or a bug is said in one line (the
    traceback only with KIOSK_DEBUG=1), an interrupt is 130."""
    import os

    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("kiosk: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if os.environ.get("KIOSK_DEBUG"):
            raise
        command = getattr(args, "command", "") or ""
        what = f"{command} {getattr(args, f'{command}_command', '') or ''}".strip()
        if isinstance(error, OSError) and error.strerror:
            print(f"kiosk {what}: {error.strerror}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
            return 1
        print(f"kiosk {what}: internal error: {type(error).__name__}: {error} (KIOSK_DEBUG=1 shows where)",
              file=sys.stderr)  # fmt: skip
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
