"""How a benchmark hands in its figures: one line each on stdout, and with --json a file keyed by name (run_all)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def report(figures: list[dict[str, Any]], json_path: Path | None) -> int:
    """Print every figure as ``name: value unit (target …)``, write them to ``json_path`` if given; exit status 0."""
    for figure in figures:
        print(f"{figure['name']}: {figure['value']} {figure['unit']} (target {figure['target']})")
    if json_path:
        json_path.write_text(json.dumps({f["name"]: f for f in figures}, indent=2))
    return 0
