"""`kiosk demo` (what `make run` shows on a machine without a display) runs the whole journey and exits 0 — here in
English (``--language en``), so every step, not only the home screen, is shown to be usable in English too."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.ui


def test_demo_walks_the_journey_and_exits_cleanly(tmp_path):
    out = tmp_path / "demo"
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy")}
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "demo", "--out", str(out), "--orientation", "portrait", "--language", "en"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    journey = json.loads((out / "journey.json").read_text("utf-8"))
    assert journey["errors"] == []
    assert journey["language"] == "en"
    assert journey["application_number"]
    assert journey["receipt"] == "printed"
    assert (out / "receipt-printed.png").stat().st_size > 0
    assert len(list(out.glob("*.png"))) >= 15
    steps = {step["step"]: step for step in journey["steps"]}
    assert steps["06-face"]["screen"] == "face"  # the live preview with its guidance, not the next screen
    assert (out / "06-face.png").read_bytes() != (out / "07-materials.png").read_bytes()
    assert "IdleDialog" in steps["14-idle-warning"]["dialogs"]  # the real warning, opened by the idle timer
