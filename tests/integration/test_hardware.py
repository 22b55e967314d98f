"""The configured hardware on simulators: every device comes online through its real transport,
a card read and a receipt print go end to end, and stop() leaves no thread or simulator behind."""

from __future__ import annotations

import threading
import time

from drivers.contract import DeviceState
from drivers.printer import KeyValue, Receipt, Section
from kiosk.config import load_settings
from kiosk.hardware import Hardware


def wait_for(predicate, timeout: float = 15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def test_all_sim_configuration_runs_every_device_and_service(tmp_path):
    before = threading.active_count()
    settings = load_settings().settings
    events = []
    with Hardware.start(settings, tmp_path) as hw:
        assert set(hw.devices) == {"idcard", "printer", "camera", "sscard"}
        hw.devices["idcard"].subscribe(events.append)
        for name, device in hw.devices.items():
            if name == "sscard" and hw.sims.sscard is None:
                continue  # no private pcscd possible here: the reader says no_device, checked in tests/sscard
            wait_for(lambda d=device: d.status().state is DeviceState.ONLINE)
        assert hw.supervisor.overall().ready

        hw.sims.idcard.place(0)
        read = wait_for(lambda: next((e for e in events if e.kind == "identity_read"), None))
        identity = read.payload["identity"]
        assert identity.name and len(identity.id_number) == 18

        if hw.sims.sscard is not None:
            hw.devices["sscard"].subscribe(events.append)
            hw.sims.sscard.insert(sorted(hw.sims.sscard.deck)[0])
            card_reads = lambda: [e for e in events if e.kind == "identity_read" and e.device != "idcard"]  # noqa: E731
            ssc = wait_for(lambda: next(iter(card_reads()), None))
            assert ssc.payload["identity"].region_code

        receipt = Receipt(title="测试回执", sections=[Section(heading="办件", blocks=[KeyValue("申请人", "张*明")])])
        done = hw.devices["printer"].print_receipt(receipt, timeout=10).result(15)
        assert done.ok, done.detail
        job = hw.sims.printer.wait_for_jobs(1)[0]
        assert any("张*明" in line for line in job.lines)

        assert hw.client is not None and hw.sims.platform.url.startswith("http://127.0.0.1:")
        assert hw.outbox.pending() == []
        assert (tmp_path / "sim" / "platform-sim.token").stat().st_mode & 0o777 == 0o600
    wait_for(lambda: threading.active_count() <= before + 1, timeout=10)


def test_selftest_reports_ready_on_simulators(tmp_path):
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "selftest", "--json", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ready"] is True
    states = {device["name"]: device["state"] for device in report["devices"]}
    assert states["idcard"] == states["printer"] == "online"


def test_selftest_fails_when_a_required_device_is_missing(tmp_path):
    import subprocess
    import sys

    site = tmp_path / "site.toml"
    site.write_text('[devices.idcard]\nport = "/dev/ttyNOPE"\n', "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "selftest", "--config", str(site), "--data-dir", str(tmp_path), "--wait", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "NOT READY" in result.stdout and "idcard" in result.stdout
