"""The UI half of the soak (bench/harness/ui_soak.py): resident journeys through the real app offscreen, back to
back in one process, with the privacy checks after each; and the test cast it uses parses as the kiosk reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.platform import answers

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_residents_certificates_pass_the_kiosks_strict_parsing():
    # One impossible date (a 29 February in 2038) made the platform's whole certificate answer malformed, so that
    # resident had to photograph an ID card the platform holds as an e-certificate.
    people = json.loads((ROOT / "drivers/sim/platform/residents.json").read_text("utf-8"))["residents"]
    for person in people:
        parsed = answers.certificates({"certificates": person["certificates"]})
        assert [c.code for c in parsed] == [c["code"] for c in person["certificates"]]


def test_the_soak_residents_are_the_ones_the_script_fits():
    from bench.harness.ui_soak import ui_residents

    people = {r.name for r in ui_residents()}
    assert "张伟" in people and len(people) >= 5
    assert not people & {"陈静", "赵磊", "欧阳小明"}  # invalid card, face never matches, no ID e-certificate


@pytest.mark.ui
def test_three_journeys_through_the_ui_keep_every_promise(tmp_path):
    figures_path = tmp_path / "figures.json"
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_CONSOLELOG": "1",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/harness/ui_soak.py"), "--journeys", "3", "--json", str(figures_path)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    figures = {f["name"]: f for f in json.loads(figures_path.read_text())}
    assert figures["soak_ui.journeys"]["value"] == 3
    assert figures["soak_ui.crashes"]["value"] == 0
    assert figures["soak_ui.lost_applications"]["value"] == 0
    assert figures["soak_ui.duplicated_applications"]["value"] == 0
    assert figures["soak_ui.privacy_findings"]["value"] == 0
    assert figures["soak_ui.fd_growth"]["target"] == "== 0" and figures["soak_ui.fd_growth"]["value"] is not None
    assert figures["soak_ui.thread_growth"]["target"] == "== 0"
    assert figures["soak_ui.thread_growth"]["value"] is not None
    assert figures["soak_ui.rss_growth"]["target"] == "<= 10" and figures["soak_ui.rss_start"]["value"] > 0
    assert figures["soak_ui.journeys_per_second"]["value"] > 0
