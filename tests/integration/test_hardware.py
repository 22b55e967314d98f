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
        assert set(hw.devices) == {"idcard", "printer", "camera"}
        hw.devices["idcard"].subscribe(events.append)
        for device in hw.devices.values():
            wait_for(lambda d=device: d.status().state is DeviceState.ONLINE)
        assert hw.supervisor.overall().ready

        hw.sims.idcard.place(0)
        read = wait_for(lambda: next((e for e in events if e.kind == "identity_read"), None))
        identity = read.payload["identity"]
        assert identity.name and len(identity.id_number) == 18

        receipt = Receipt(title="测试回执", sections=[Section(title="办件", lines=[KeyValue("申请人", "张*明")])])
        done = hw.devices["printer"].print_receipt(receipt, timeout=10).result(15)
        assert done.ok, done.detail
        job = hw.sims.printer.wait_for_jobs(1)[0]
        assert any("张*明" in line for line in job.lines)

        assert hw.client is not None and hw.sims.platform.url.startswith("http://127.0.0.1:")
        assert hw.outbox.pending() == []
        assert (tmp_path / "sim" / "platform-sim.token").stat().st_mode & 0o777 == 0o600
    wait_for(lambda: threading.active_count() <= before + 1, timeout=10)
