"""`kiosk --help` lists every command, the touchscreen's `run` and `demo` (entry point group tongban.commands) too."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from kiosk import cli

ROOT = Path(__file__).resolve().parents[2]


def _listed(help_text: str) -> set[str]:
    return set(re.findall(r"^ {4}(\S+)", help_text, re.MULTILINE))


def test_kiosk_help_lists_every_command():
    answer = subprocess.run([sys.executable, "-m", "kiosk", "--help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    listed = _listed(answer.stdout)
    assert {"run", "demo", "fleet", "device", "version"} <= listed, answer.stdout
    demo = subprocess.run([sys.executable, "-m", "kiosk", "demo", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert demo.returncode == 0 and "--orientation" in demo.stdout, demo.stderr


def test_a_checkout_without_installed_entry_points_still_has_run_and_demo(monkeypatch):
    """`python -m kiosk` from a source tree, or a virtualenv installed before the entry point existed."""
    monkeypatch.setattr(metadata, "entry_points", lambda **_kw: [])
    built = cli.build()
    help_text = built.parser.format_help()
    assert {"run", "demo"} <= _listed(help_text), help_text
    assert built.parser.parse_args(["demo", "--out", "/tmp/x"]).func.__module__ == "screens.commands"
