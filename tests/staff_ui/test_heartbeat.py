"""The platform heartbeat (contract §7) against the platform simulator: its contents, failures as results, and
the outbox kicked out of its back-off when a heartbeat gets through."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from drivers.contract import Device, DeviceError, DeviceState
from drivers.sim.platform import PlatformSimulator
from kiosk.heartbeat import Heartbeat, config_version_of
from kiosk.platform import PlatformClient
from kiosk.platform.outbox import Outbox
from kiosk.supervisor import Supervisor


class Gadget(Device):
    device_class = "printer"

    def __init__(self, name: str = "printer") -> None:
        super().__init__(name)
        self.present = True

    def _connect(self) -> None:
        if not self.present:
            raise DeviceError("device_not_ready", "unplugged")

    def _disconnect(self) -> None:
        pass


@pytest.fixture
def platform(tmp_path):
    sim = PlatformSimulator(tmp_path / "platform.sqlite3", token="hb-token")
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def client(platform):
    client = PlatformClient(platform.url, "hb-token", "K0001")
    yield client
    client.close()


def wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_heartbeat_carries_versions_devices_and_outbox_depth(tmp_path, platform, client):
    supervisor = Supervisor(tmp_path)
    device = Gadget()
    device.open()
    try:
        supervisor.add(device, required=True)
        assert wait(lambda: supervisor.health("printer").state is DeviceState.ONLINE)
        beat = Heartbeat(client, supervisor, None, config_version=lambda: config_version_of(tmp_path))
        result = beat.send_once()
        assert result.ok and result.latency_ms >= 0 and result.error == ""
        (body,) = platform.heartbeats()
        assert body["kiosk_id"] == "K0001"
        assert body["software_version"] == beat.software_version
        assert body["config_version"] == "local"  # no fleet bundle applied
        assert body["devices"]["printer"]["state"] == "online" and body["devices"]["printer"]["ready"] is True
        assert body["outbox_depth"] == 0
        assert dt.datetime.fromisoformat(body["at"]).tzinfo is not None  # ISO 8601 with offset
    finally:
        device.close()
        supervisor.close()


def test_a_failed_heartbeat_is_a_result_not_an_exception(tmp_path, platform, client):
    platform.set_faults("heartbeat", error_rate=1.0, error_status=503)
    result = Heartbeat(client).send_once()
    assert not result.ok and result.error.startswith("RetryableError")
    platform.clear_faults()
    assert Heartbeat(client).send_once().ok


def test_a_heartbeat_that_gets_through_kicks_the_outbox_out_of_its_back_off(tmp_path, platform, client):
    outbox = Outbox(tmp_path / "outbox", client, "K0001", backoff_base=120.0, backoff_cap=600.0)
    platform.set_faults("*", error_rate=1.0, error_status=503)
    outbox.start()
    try:
        outbox.enqueue_evaluation(5, ["fast"], application_no="TB20240601000001")
        assert wait(lambda: outbox.pending() and outbox.pending()[0].attempts >= 1)
        beat = Heartbeat(client, None, outbox, interval_s=3600)
        assert beat.payload()["outbox_depth"] == 1
        assert not beat.send_once().ok  # still down: the outbox keeps waiting (two minutes and more)
        time.sleep(0.3)
        assert outbox.depth() == 1
        platform.clear_faults()
        beat.start()  # the thread beats at once; that heartbeat gets through and kicks the outbox
        # the evaluation's application is unknown to the platform: a permanent refusal, but it was *attempted*
        assert wait(lambda: outbox.depth() == 0, 10)
        assert beat.last is not None and beat.last.ok
    finally:
        beat.stop()
        outbox.close()
