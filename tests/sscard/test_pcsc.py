"""Through the real PC/SC stack: private pcscd, vpcd reader, the virtual card on its socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from drivers.contract import Code, DeviceError, DeviceState
from drivers.identity import Identity
from drivers.sscard import SocialSecurityCardReader

from .conftest import EXPECTED, wait_for

pytestmark = pytest.mark.pcsc


def kinds(reader) -> list[str]:
    return [e.kind for e in reader.events if e.kind != "status"]


@pytest.mark.parametrize("card_id", sorted(EXPECTED))
def test_each_deck_card_round_trips_with_events(env, reader, card_id):
    wait_for(lambda: reader.status().state is DeviceState.ONLINE)
    env.insert(card_id)
    completion = reader.read_sync(10)
    assert completion.code is Code.SUCCESS, completion.detail
    identity = completion.value
    assert isinstance(identity, Identity)
    assert identity.name == EXPECTED[card_id]["name"]
    assert identity.id_number == env.deck[card_id]["id_number"]
    assert identity.region_code == EXPECTED[card_id]["region"]
    assert reader.status().fields["card_present"] is True
    env.remove()
    wait_for(lambda: "card_removed" in kinds(reader))
    assert kinds(reader) == ["card_inserted", "identity_read", "card_removed"]
    read = next(e for e in reader.events if e.kind == "identity_read")
    assert read.payload["identity"] == identity
    assert reader.status().fields["card_present"] is False
    assert reader.counters.snapshot() == {"cards_inserted": 1, "cards_read": 1, "cards_removed": 1}


@pytest.mark.parametrize(
    ("fault", "code"),
    [("pulled", Code.MEDIA_REMOVED), ("mute", Code.TIMEOUT), ("pcscd-restart", Code.DEVICE_NOT_READY)],
)
def test_each_fault_ends_in_its_code_and_the_next_card_is_served(env, reader, fault, code):
    wait_for(lambda: reader.status().state is DeviceState.ONLINE)
    env.insert("shanghai-v3", [fault])
    assert reader.read_sync(10).code is code
    wait_for(lambda: "error" in kinds(reader) or fault == "pcscd-restart")
    env.remove()
    wait_for(lambda: reader.status().state is DeviceState.ONLINE and not reader.status().fields.get("card_present"))
    env.insert("shenzhen-region")
    completion = reader.read_sync(10)
    assert completion.code is Code.SUCCESS, completion.detail
    assert completion.value.name == "马秀兰"


def test_card_faults_through_pcscd(env, reader):
    wait_for(lambda: reader.status().state is DeviceState.ONLINE)
    applet = env.insert("shanghai-v3", ["chaining", "le-mismatch", "select-6a82"])
    completion = reader.read_sync(10)
    assert completion.code is Code.SUCCESS, completion.detail
    sent = [a.hex().upper() for a in applet.log]
    assert sent[0] == "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
    assert "00C0000010" in sent and "00B2090022" in sent


def test_pcscd_restart_while_idle_then_a_card_is_read(env, reader):
    wait_for(lambda: reader.status().state is DeviceState.ONLINE)
    old = env.pcscd_pid()
    env.restart_pcscd()
    assert env.pcscd_pid() != old
    env.insert("nanning-expired")
    wait_for(lambda: "identity_read" in kinds(reader))
    assert reader.read_sync(5).value.name == "欧阳建国"
    assert reader.status().state is DeviceState.ONLINE


def test_card_left_in_during_restart_is_reread(env, reader):
    env.insert("beijing-chained")
    wait_for(lambda: "identity_read" in kinds(reader))
    env.restart_pcscd()
    wait_for(lambda: kinds(reader).count("identity_read") == 2)
    assert kinds(reader) == ["card_inserted", "identity_read", "card_removed", "card_inserted", "identity_read"]


def test_a_card_in_the_slot_is_reported_again_on_request(env, reader):
    """For a screen that starts taking cards while one is already in (kiosk.journey.read_lying_cards)."""
    wait_for(lambda: reader.status().state is DeviceState.ONLINE)
    assert reader.read_again().result(5).value is False  # no card: nothing to report
    env.insert("beijing-chained")
    wait_for(lambda: "identity_read" in kinds(reader))
    assert reader.read_again().result(5).value is True
    assert kinds(reader) == ["card_inserted", "identity_read", "identity_read"]
    env.remove()
    assert reader.read_again().result(5).value is False  # taken out meanwhile: reported as such, not again
    assert kinds(reader) == ["card_inserted", "identity_read", "identity_read", "card_removed"]


def test_read_waits_for_a_card_and_times_out_or_cancels(env, reader):
    wait_for(lambda: reader.status().state is DeviceState.ONLINE)
    assert reader.read(timeout=0.3).result(5).code is Code.TIMEOUT
    command = reader.read(timeout=10)
    command.cancel()
    assert command.result(5).code is Code.CANCELLED
    command = reader.read(timeout=10)
    env.insert("shanghai-v3")
    assert command.result(10).code is Code.SUCCESS


def test_mute_card_does_not_block_the_worker_or_leak_threads(env, reader):
    import threading

    wait_for(lambda: reader.status().state is DeviceState.ONLINE)
    before = threading.active_count()
    env.insert("shanghai-v3", ["mute"])
    assert reader.read_sync(10).code is Code.TIMEOUT
    assert reader.read_sync(10).code is Code.TIMEOUT  # same card: same outcome, no second stuck read
    env.remove()
    wait_for(lambda: threading.active_count() <= before)


@pytest.mark.parametrize("rv", [0x8010001D, 0x8010006A, 0x80100002])  # no service, access denied, cancelled
def test_a_failed_reader_status_is_a_lost_service_not_bad_card_data(monkeypatch, rv):
    device = SocialSecurityCardReader("^Tongban")
    device._context, device._reader = 1, "Tongban vpcd 00 00"
    monkeypatch.setattr("drivers.sscard.reader.scard.SCardGetStatusChange", lambda *_: (rv, []))
    with pytest.raises(DeviceError) as raised:
        device._reader_state()
    assert raised.value.code is Code.DEVICE_NOT_READY  # the contract reconnects; the read is not "invalid data"


def test_no_matching_reader_is_a_status_not_a_crash(env):
    device = SocialSecurityCardReader("^no such reader$")
    device.open()
    try:
        wait_for(lambda: device.status().state is DeviceState.NO_DEVICE)
        assert "no reader matching" in device.status().detail
        assert device.read_sync(1).code is Code.DEVICE_NOT_READY
    finally:
        device.close()


def test_cli_read_ssc_against_the_sim_cli_in_other_processes(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    base = {**os.environ, "PYTHONPATH": root}
    base.pop("PCSCLITE_CSOCK_NAME", None)
    sim = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "sim", "sscard", "--insert", "shanghai-v3"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=base, cwd=root,
    )  # fmt: skip
    try:
        export = sim.stdout.readline().strip()
        assert export.startswith("export PCSCLITE_CSOCK_NAME=")
        key, value = export.removeprefix("export ").split("=", 1)
        env = {**base, key: value}
        read = [sys.executable, "-m", "kiosk", "device", "read-ssc", "--reader", "Tongban", "--timeout", "5"]
        masked = subprocess.run([*read, "--json"], capture_output=True, text=True, env=env, cwd=root, timeout=30)
        assert masked.returncode == 0, masked.stderr
        data = json.loads(masked.stdout)
        assert list(data)[:11] == [
            "card_number", "card_id_code", "region_code", "card_version", "issue_date", "valid_until",
            "id_number", "name", "sex", "nation", "birth_date",
        ]  # fmt: skip
        assert data["name"] == "张*明" and data["id_number"] == "310104********2019"
        assert data["region_code"] == "310100" and data["nation"] == "汉"
        revealed = subprocess.run([*read, "--json", "--reveal"], capture_output=True, text=True, env=env, cwd=root)
        assert json.loads(revealed.stdout)["name"] == "张小明"
        sim.stdin.write("remove\n")
        sim.stdin.flush()
        while sim.stdout.readline().strip() != "removed":
            pass
        empty = subprocess.run([*read[:-1], "0.5"], capture_output=True, text=True, env=env, cwd=root, timeout=30)
        assert empty.returncode == 1 and "timeout" in empty.stderr
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        assert sim.wait(15) == 0
    finally:
        if sim.poll() is None:
            sim.terminate()  # SIGTERM: the sim stops its pcscd on the way out
            sim.wait(15)
