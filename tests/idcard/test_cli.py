"""``kiosk device read-id`` and ``kiosk sim idcard`` run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
KEYS = [
    "card_type", "name", "name_en", "sex", "nation", "nationality", "birth_date", "address", "id_number",
    "authority", "valid_from", "valid_to", "permit_number", "issue_count", "renewal_count", "old_card_number",
    "photo_bytes",
]  # fmt: skip


def kiosk(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, env=ENV,
                          timeout=timeout, cwd=ROOT)  # fmt: skip


def read_id(port: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return kiosk("device", "read-id", "--port", port, "--poll", "0.05", *extra)


def test_read_id_prints_masked_json(sim):
    sim.place("resident-bater")
    result = read_id(sim.port, "--json", "--timeout", "10")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert list(out) == KEYS
    assert out["name"] == "巴*尔" and out["id_number"] == "150102********1239"
    assert out["card_type"] == "resident" and out["sex"] == "male" and out["nation"] == "蒙古"
    assert out["birth_date"] == "1955-11-20" and out["valid_to"] is None and out["photo_bytes"] == 1024
    assert "150102195511201239" not in result.stdout + result.stderr


def test_read_id_reveal_and_a_y_card(sim):
    sim.place("foreign2023-garcia")
    out = json.loads(read_id(sim.port, "--json", "--reveal").stdout)
    assert out["card_type"] == "foreign_permanent_2023" and out["nation"] is None
    assert (out["name"], out["id_number"], out["nationality"]) == ("玛丽亚", "944724198804120016", "ESP")
    assert out["name_en"] == "GARCIA MARTINEZ, MARIA DE LOS ANGELES ISABEL" and out["renewal_count"] == 0


def test_read_id_plain_text(sim):
    sim.place("hmt-chen")
    result = read_id(sim.port)
    assert result.returncode == 0
    assert "card_type        hmt_permit" in result.stdout and "permit_number    H12345678" in result.stdout
    assert "陈*强" in result.stdout


def test_read_id_times_out_with_one_line(sim):
    result = read_id(sim.port, "--timeout", "0.5")
    assert result.returncode == 3 and result.stdout == ""
    assert result.stderr.strip().splitlines() == ["timeout: no card read within 0.5 s"]


def test_read_id_reports_a_fault_in_one_line(sim):
    sim.set_faults(["sam_not_authorised"])
    sim.place(0)
    result = read_id(sim.port, "--timeout", "5")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["not_authorised: SAM not authorised (SW3 66)"]


def test_read_id_without_a_reader():
    result = read_id("/dev/tongban-no-such-port", "--timeout", "5")
    assert result.returncode == 1 and result.stderr.startswith("no_device: cannot open /dev/tongban-no-such-port")


def test_sim_command_serves_a_pty_until_stopped():
    command = [sys.executable, "-m", "kiosk", "sim", "idcard", "--fault", "garbage", "--place", "hmt-chen"]
    sim = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=ENV, cwd=ROOT)  # fmt: skip
    try:
        port = sim.stdout.readline().strip()
        assert port.startswith("/dev/")
        first = json.loads(read_id(port, "--json", "--reveal").stdout)
        assert first["card_type"] == "hmt_permit"
        sim.stdin.write("place foreign2017-smith\n")
        sim.stdin.flush()
        assert sim.stderr.readline().startswith("commands on stdin")
        assert sim.stderr.readline().strip() == "placed foreign2017-smith"
        second = json.loads(read_id(port, "--json", "--reveal").stdout)
        assert (second["card_type"], second["id_number"]) == ("foreign_permanent_2017", "USA310080101017")
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        assert sim.wait(10) == 0
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()


def test_sim_command_stops_on_sigterm_and_refuses_bad_options():
    sim = subprocess.Popen([sys.executable, "-m", "kiosk", "sim", "idcard", "--empty"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)  # fmt: skip
    try:
        assert sim.stdout.readline().startswith("/dev/")
        sim.terminate()
        assert sim.wait(10) == 0
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()
    bad = kiosk("sim", "idcard", "--fault", "flood")
    assert bad.returncode == 1 and "unknown fault 'flood'" in bad.stderr
