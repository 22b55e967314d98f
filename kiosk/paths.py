"""Where packaged data lives, whether the project runs from a checkout (editable) or installed."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


@cache
def project_dir(name: str) -> Path:
    """The ``assets`` or ``config`` folder: the checkout's, else the installed data-files copy."""
    for base in (_SOURCE_ROOT, Path(sys.prefix) / "share" / "tongban"):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no packaged {name}/ folder beside {_SOURCE_ROOT} or in {sys.prefix}")


def assets_dir() -> Path:
    return project_dir("assets")


def config_dir() -> Path:
    return project_dir("config")
