"""``kiosk run`` (the touchscreen app) and ``kiosk demo`` (the same app offscreen, one PNG per screen).

This is the composition root: the core (``kiosk``) and the Kivy screens meet here, on the screens' side of the
layer rules (``kiosk`` never imports Kivy or ``screens``). The ``kiosk`` command finds these two commands through
the ``tongban.commands`` entry point this package registers in pyproject.toml (see ``kiosk.cli``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.cli import Cli
    from screens.app import TongbanApp


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1080x1920, not {text!r}") from None
    return width, height


def register(cli: Cli) -> None:
    p = cli.command("run", help="start the kiosk touchscreen app")
    p.add_argument("--config", type=Path, help="site configuration file (default /etc/tongban/kiosk.toml)")
    p.add_argument("--data-dir", type=Path, help="where the kiosk keeps its data, logs and state")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", dest="fullscreen", action="store_true", default=None)
    mode.add_argument("--windowed", dest="fullscreen", action="store_false")
    p.add_argument("--size", type=_size, help="window size WxH (default from configuration)")
    p.set_defaults(func=_run)

    p = cli.command("demo", help="render the app offscreen and write one PNG per screen plus journey.json")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--orientation", choices=("portrait", "landscape"), help="default: both, one process each")
    p.add_argument("--elder", action="store_true", help="start in elder mode")
    p.add_argument("--language", choices=("zh_CN", "en"), default="zh_CN",
                   help="the resident's language for every step (default zh_CN)")  # fmt: skip
    p.add_argument("--config", type=Path)
    p.set_defaults(func=_demo)


def _run(args: argparse.Namespace) -> int:
    from kiosk.launch import start_core

    core = start_core(args.config, args.data_dir)
    display = core.settings.display
    size = args.size or display.resolved_size
    fullscreen = display.fullscreen if args.fullscreen is None else args.fullscreen
    from screens.bootstrap import configure

    configure(size, fullscreen)
    from screens.app import TongbanApp

    app = TongbanApp(core)
    app.hardware_after_first_frame = True
    _stop_on_sigterm(app)
    app.run()
    return app.exit_status  # the staff menu's restart (75) and exit to the desktop (64), see docs/deploy.md


def _stop_on_sigterm(app: TongbanApp) -> None:
    """systemd (and the start-up bench) stop the kiosk with SIGTERM: leave the event loop so ``on_stop`` closes
    the devices, the stores and any simulator's helper process (a private pcscd) instead of dying with them open."""
    import signal

    from kivy.clock import Clock

    signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: app.stop()))


def _demo(args: argparse.Namespace) -> int:
    out: Path = args.out
    if args.orientation is None:
        # The window's size is fixed once it exists, so each orientation renders in its own process.
        index: dict[str, object] = {}
        for orientation in ("portrait", "landscape"):
            command = [sys.executable, "-m", "kiosk", "demo", "--out", str(out / orientation)]
            command += ["--orientation", orientation, "--language", args.language] + (["--elder"] if args.elder else [])
            command += ["--config", str(args.config)] if args.config else []
            env = {**os.environ, "SDL_VIDEODRIVER": os.environ.get("SDL_VIDEODRIVER", "offscreen")}
            status = subprocess.run(command, env=env, check=False).returncode
            if status != 0:
                print(f"demo failed in {orientation} (exit {status})", file=sys.stderr)
                return status
            index[orientation] = json.loads((out / orientation / "journey.json").read_text("utf-8"))
        (out / "journey.json").write_text(json.dumps(index, ensure_ascii=False, indent=2), "utf-8")
        print(out.resolve())
        return 0
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    from screens.demo import run_demo

    journey = run_demo(out, args.orientation, args.elder, args.config, language=args.language)
    print(out.resolve())
    return 1 if journey.get("errors") else 0
