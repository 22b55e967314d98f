"""A kiosk out of service because of a bad configuration is brought back by the fleet, with nobody on site (#17):
the real ``kiosk run`` under the unit's conditions (tests/field/harness.py), the operator's TUF repository on a
loopback HTTP server and the MQTT nudge on a real mosquitto broker. The site file names a credentials file that
is not there, so the hardware cannot start (safe mode ``hardware_failed``); the operator publishes a bundle naming
the right file and nudges; the kiosk applies it, restarts itself on it (exit 75, which systemd restarts at once)
and its heartbeat says it is in service on the bundle's version."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.fleet.nudge import send_nudge
from tests.field.harness import Service
from tests.fleet.conftest import Fleet, RepoServer
from tests.mqtt_broker import mosquitto  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    servers: list[RepoServer] = []
    yield Fleet(tmp_path / "operator", lambda root: servers.append(RepoServer(root)) or servers[-1])
    for server in servers:
        server.close()


def test_a_fleet_fix_brings_a_kiosk_out_of_service_back_into_service(service: Service, fleet: Fleet,
                                                                       mosquitto: str) -> None:  # noqa: F811
    token = service.tmp / "platform.token"  # where the installer really put the device token
    token.write_text("a-device-token\n", "utf-8")
    site = service.tmp / "kiosk.toml"
    site.write_text(
        f'[kiosk]\nid = "K0042"\n[platform]\ncredentials_file = "{service.tmp / "platfrom.token"}"\n'  # a typo
        f'[fleet]\nrepo_url = "{fleet.server.url}"\ngroup = "pilot"\ntrusted_root = "{fleet.trusted_root}"\n'
        f'poll_interval_s = 3600\njitter = 0.0\nmqtt_broker = "{mosquitto}"\n',
        "utf-8",
    )
    service.start(config=site)
    service.ready()
    down = service.notify.wait_for(lambda m: m.fields.get("STATUS", "").startswith("out of service"), 120,
                                   "out of service: the hardware cannot start on the site file")  # fmt: skip
    assert "hardware_failed" in down.fields["STATUS"] and "platfrom.token" in down.fields["STATUS"]

    fleet.publish(1, f'[platform]\ncredentials_file = "{token}"\n')  # the operator's fix, from afar
    assert service.main is not None
    deadline = time.monotonic() + 120
    while service.main.poll() is None:  # a nudge only starts a normal TUF round: sent until one is heard
        assert time.monotonic() < deadline, "the fix was not applied\n" + service.stderr()[-3000:]
        send_nudge(mosquitto, "tongban/fleet/pilot", "pilot", 1)
        service.notify.collect(2.0)
    assert service.main.returncode == 75, service.stderr()[-3000:]  # a restart on the fix, not a crash

    earlier = len(service.heartbeats())  # the last out-of-service beats, sent while the fix was activated
    service.start(config=site)  # what systemd does after RestartSec
    assert service.ready().fields.get("STATUS") == "home screen shown"
    beat = service.wait_heartbeat(after=earlier)
    assert beat["in_service"] is True and beat["config_version"] == "1", beat["service_reason"]
    assert beat["last_start_fault"]["code"] == "hardware_failed"  # what happened is still on record
    assert service.heartbeat_ids() == {"K0042"}
    assert service.stop() == 0, service.stderr()[-3000:]
    assert service.leftovers() == {}
