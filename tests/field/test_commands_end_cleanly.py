"""Every `kiosk` command ends with a message and an exit code (#17): a camera step outliving its timeout on a
busy machine, a bug, a full disk. Run as the real process; no traceback, no abort."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The QR scan of a busy machine: a step that ignores its own timeout and outlives the command's wait.
SLOW_QR = """
import sys, threading
from drivers.camera import Camera
from kiosk.cli import main

release = threading.Event()
def scan_qr(self, timeout=30.0, until_first=True):
    def body(token):
        release.wait(%(hold)s)  # deaf to the cancel for a while, like a decode inside OpenCV
        return []
    return self.submit("scan_qr", body, None)
Camera.scan_qr = scan_qr
sys.exit(main(["device", "camera-test", "--source", "sim:qr", "--out", sys.argv[1], "--timeout", "1",
               "--width", "320", "--height", "240"]))
"""


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SDL_VIDEODRIVER": "offscreen"}
    env.pop("KIOSK_DEBUG", None)
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=180)


def test_a_qr_scan_outliving_its_timeout_is_reported_not_aborted(tmp_path):
    proc = run_python(SLOW_QR % {"hold": 4.0}, str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "FATAL" not in proc.stderr
    assert "QR timeout" in proc.stdout and "QR scan did not finish within 3 s" in proc.stdout
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert report["qr"]["code"] == "timeout"


def test_a_step_still_running_after_the_cancel_exits_with_its_code(tmp_path):
    proc = run_python(SLOW_QR % {"hold": 60.0}, str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "QR scan still running after the cancel; exiting now" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "report.json").exists()


def test_a_fault_inside_a_command_is_one_line_and_exit_70(tmp_path):
    code = ("import sys\nimport kiosk.commands.audit as a\n"
            "a._verify = lambda args: 1 / 0\n"
            "from kiosk.cli import build, _run\n"
            "cli = build(); args = cli.parser.parse_args(['audit', 'verify', '--data-dir', sys.argv[1]])\n"
            "args.func = a._verify\nsys.exit(_run(args))\n")  # fmt: skip
    proc = run_python(code, str(tmp_path))
    assert proc.returncode == 70 and "Traceback" not in proc.stderr
    assert "kiosk audit verify: internal error: ZeroDivisionError" in proc.stderr
