"""The printer commands: print-test against the emulator, receipt render, and the emulator as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_print_test_against_the_emulator(emulator, capsys):
    assert main(["device", "print-test", "--printer", emulator.address, "--timeout", "15"]) == 0
    out = capsys.readouterr().out
    assert "打印机状态：纸张 ok" in out and "printed: " in out
    job = emulator.wait_for_jobs(1)[0]
    assert "申请编号：TEST-0001" in job.lines and job.qr_payloads == ["https://tb.gov.cn/q/TEST-0001"]


def test_print_test_reports_a_failure(emulator, capsys):
    emulator.set_fault("paper_out")
    assert main(["device", "print-test", "--printer", emulator.address, "--timeout", "5"]) == 1
    assert "print failed: paper_out" in capsys.readouterr().out


def test_print_test_to_file_then_render(tmp_path, capsys):
    out = tmp_path / "out.bin"
    assert main(["device", "print-test", "--printer", f"file://{out}"]) == 0
    png = tmp_path / "out.png"
    assert main(["receipt", "render", str(out), "--out", str(png)]) == 0
    assert png.is_file() and "QR ['https://tb.gov.cn/q/TEST-0001']" in capsys.readouterr().out


def test_render_of_an_empty_stream_fails(tmp_path):
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"\x1b@")
    assert main(["receipt", "render", str(empty), "--out", str(tmp_path / "x.png")]) == 1


def test_sim_printer_process_prints_its_address_and_serves(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "sim", "printer", "--out", str(tmp_path),
                             "--fault", "paper_near_end"], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        address = proc.stdout.readline().strip()
        assert address.startswith("tcp://127.0.0.1:")
        assert main(["device", "print-test", "--printer", address, "--timeout", "15"]) == 0
        assert "job 1:" in proc.stdout.readline()
        assert (tmp_path / "job-0001.png").is_file()
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0
