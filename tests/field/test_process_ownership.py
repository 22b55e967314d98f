"""Tests own their processes (#17): the suite's session check fails a run that leaves a child behind, and
kills the child so the machine stays clean."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LEAKY = '''
import subprocess

def test_forgets_its_child():
    subprocess.Popen(["sleep", "{marker}"])
'''


def alive(marker: str) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode() if entry.name.isdigit() else ""
            if f"sleep {marker}" in command:
                return "Z" not in (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
    return False


def test_a_session_that_leaves_a_child_behind_fails_and_the_child_is_killed(tmp_path):
    marker = str(4000 + os.getpid() % 1000)  # a sleep no one else runs
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_leaky.py").write_text(LEAKY.format(marker=marker))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode != 0, proc.stdout
    assert "left processes behind" in proc.stdout and f"sleep {marker}" in proc.stdout
    deadline = time.monotonic() + 5
    while alive(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(marker)
