"""``kiosk apply`` end to end as a subprocess: simulated card through the real driver, simulator, emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from kiosk.applications import parse_progress_qr

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "apply-temp-relief.json"


def run(*args: str, cwd: Path) -> tuple[int, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "kiosk", "apply", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    return proc.returncode, json.loads(proc.stdout)


def test_example_script_end_to_end(tmp_path, sim, h):
    code, result = run("--script", str(EXAMPLE), "--platform", sim.url, "--token", h.TOKEN, "--out",
                       str(tmp_path / "out"), cwd=tmp_path)  # fmt: skip
    assert code == 0, result
    assert result["verification"]["verified"] and result["route"]["kind"] == "community"
    assert result["materials"] == {"id_card": "certificate", "household_register": "certificate",
                                   "income_statement": "commitment", "hardship_proof": "file",
                                   "bank_card": "deferred"}  # fmt: skip
    assert result["delivered"] and result["application_no"] == sim.applications()[0]["application_no"]
    assert result["receipt"]["printed"]
    image = cv2.imread(result["receipt"]["emulator_png"], cv2.IMREAD_GRAYSCALE)
    image = cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    # two detectors: the classic one now and then takes a line of receipt text for a finder pattern and gives up
    found = [detector.detectAndDecode(image)[0] for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco())]
    assert parse_progress_qr(next((text for text in found if text), "")).application_no == result["application_no"]
    assert "张伟" not in json.dumps(result, ensure_ascii=False)


def test_own_simulator_when_no_platform_is_given(tmp_path):
    script = json.loads(EXAMPLE.read_text("utf-8"))
    script.update(printer="none", item="330199000300120000")  # 高龄津贴: not for Beijing residents
    for name in ("hardship-proof.jpg", "signature.png"):
        shutil.copy(EXAMPLE.parent / name, tmp_path / name)
    (tmp_path / "s.json").write_text(json.dumps(script, ensure_ascii=False), "utf-8")
    code, result = run("--script", "s.json", cwd=tmp_path)
    assert code == 1 and result["route"]["kind"] == "elsewhere"
    assert result["platform"].startswith("http://127.0.0.1:")
    assert result["stage"] == "route"
    assert "高龄津贴申领：北京市朝阳区乡镇（街道）民政办" in result["route"]["where_to_go"]


# A well-formed card of someone the platform has no record of.
STRANGER = {"type": "resident", "name": "周不存", "sex": "1", "nation": "01", "birth": "19800101",
            "address": "示例县人民路1号", "id_number": "330199198001010017", "authority": "示例县公安局",
            "valid_from": "20200101", "valid_to": "20400101"}  # fmt: skip


@pytest.mark.parametrize(
    "script, stage",
    [("not json", "script"), ({"item": "330199000300220000"}, "script"),
     ({"card": "no-such-card", "item": "330199000300220000"}, "script"),
     ({"card": STRANGER, "item": "330199000300220000"}, "verification")],  # not a platform resident
)  # fmt: skip
def test_bad_scripts_and_refusals(tmp_path, sim, h, script, stage):
    path = tmp_path / "s.json"
    path.write_text(script if isinstance(script, str) else json.dumps(script), "utf-8")
    code, result = run("--script", str(path), "--platform", sim.url, "--token", h.TOKEN, cwd=tmp_path)
    assert result["stage"] == stage and not result["ok"], result
    assert code == (2 if stage == "script" else 1)
