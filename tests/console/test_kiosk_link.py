"""A kiosk pointed at the console by configuration: its real heartbeat thread, over HTTP and over MQTT."""

from __future__ import annotations

import json
import os

import paho.mqtt.client as mqtt
import pytest

from drivers.sim.platform.server import PlatformSimulator
from kiosk.config.loader import ConfigError, load_settings, validate
from kiosk.console import fleet_sim
from kiosk.fleet.console_link import ConsoleLink, ConsoleLinkError
from kiosk.heartbeat import Heartbeat
from kiosk.platform.client import PlatformClient
from tests.console.conftest import Harness, start_console
from tests.polling import wait_for


def site_file(tmp_path, console_url: str, token: str, kiosk_id: str = "K0042"):
    token_file = tmp_path / "console.token"
    token_file.write_text(token + "\n", "utf-8")
    os.chmod(token_file, 0o600)
    site = tmp_path / "kiosk.toml"
    site.write_text(
        f'[kiosk]\nid = "{kiosk_id}"\n[fleet]\nconsole_url = "{console_url}"\nconsole_token_file = "{token_file}"\n',
        "utf-8",
    )
    return load_settings(site).settings


def test_the_kiosk_heartbeat_reaches_the_platform_and_the_console_also_while_the_platform_is_down(tmp_path, console):
    token = console.kiosk("K0042", "pilot")
    link = ConsoleLink.from_settings(site_file(tmp_path, console.url, token))
    assert link is not None and token not in repr(link)
    with PlatformSimulator(tmp_path / "platform.db", token="t0k3n") as platform:
        client = PlatformClient(platform.url, "t0k3n", "K0042", timeout=(2.0, 5.0))
        beat = Heartbeat(client, None, None, config_version=lambda: "12", mirror=link.send,
                         health=lambda: {"printer": {"paper": "out", "counters": {}}, "in_service": True})  # fmt: skip
        assert beat.send_once().ok
        assert len(platform.heartbeats()) == 1
        platform.set_faults("heartbeat", error_rate=1.0)
        assert not beat.send_once().ok  # the platform refuses …
    assert not beat.send_once().ok  # … or is gone: the console still hears the kiosk
    link.close()
    kiosk = console.store.kiosk("K0042")
    assert kiosk["beats"] == 3 and kiosk["config_version"] == "12" and kiosk["alerts"] == ["paper_out"]


def test_a_console_that_is_down_never_stops_the_heartbeat(tmp_path, caplog):
    link = ConsoleLink("http://127.0.0.1:9", "K1", "token", timeout_s=2)
    with caplog.at_level("WARNING"):
        assert link.send(fleet_sim.heartbeat()) is False
        assert link.send(fleet_sim.heartbeat()) is False
    assert sum("did not take the heartbeat" in r.getMessage() for r in caplog.records) == 1  # once per outage


def test_console_settings_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="console_url"):
        validate({"fleet": {"console_url": "ftp://x"}}, "site")
    assert validate({"fleet": {"console_url": "mqtt://broker:1883/"}}, "site").fleet.console_url == "mqtt://broker:1883"
    settings = site_file(tmp_path, "http://127.0.0.1:1", "")
    with pytest.raises(ConsoleLinkError):
        ConsoleLink.from_settings(settings)  # an empty token file


def test_heartbeats_over_mqtt(tmp_path, mosquitto):
    service = start_console(f"sqlite:///{tmp_path / 'c.db'}", mqtt_broker=mosquitto)
    console = Harness(service)
    link = None
    try:
        token = console.kiosk("K0007")
        console.kiosk("K0008")
        assert wait_for(lambda: service.mqtt is not None and service.mqtt.subscribed)
        link = ConsoleLink(f"mqtt://{mosquitto}", "K0007", token)
        assert link.send(fleet_sim.heartbeat(printer={"paper": "out"}))
        assert wait_for(lambda: (console.store.kiosk("K0007") or {}).get("beats") == 1)
        assert console.store.kiosk("K0007")["alerts"] == ["paper_out"]

        # forged, malformed and misaddressed messages are dropped and counted
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        publisher.connect(*mosquitto.split(":")[:1], int(mosquitto.split(":")[1]))
        publisher.loop_start()
        bad = [
            ("tongban/heartbeat/K0008", {"kiosk_id": "K0008", "token": "guess", "heartbeat": fleet_sim.heartbeat()}),
            ("tongban/heartbeat/K0008", {"kiosk_id": "K0007", "token": token, "heartbeat": fleet_sim.heartbeat()}),
            ("tongban/heartbeat/K0007", {"kiosk_id": "K0007", "token": token, "heartbeat": {"at": "now"}}),
        ]
        for topic, envelope in bad:
            publisher.publish(topic, json.dumps(envelope), qos=1).wait_for_publish(10)
        publisher.publish("tongban/heartbeat/K0007", b"\xff not json", qos=1).wait_for_publish(10)
        publisher.loop_stop()
        publisher.disconnect()
        assert wait_for(lambda: service.mqtt.refused == 4)
        assert console.store.kiosk("K0008")["beats"] == 0 and console.store.kiosk("K0007")["beats"] == 1
    finally:
        if link is not None:
            link.close()
        service.stop()
