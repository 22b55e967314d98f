"""``kiosk run`` as systemd runs it (tests/field/harness.py), pointed at a fleet console by its site file: the console
hears the running kiosk's heartbeat, with the health fields an operator acts on."""

from __future__ import annotations

import os

import pytest

from tests.console.conftest import Harness
from tests.field.harness import START_TIMEOUT_S, Service
from tests.polling import wait_for


@pytest.mark.slow
def test_a_running_kiosk_reports_to_the_console_its_site_file_names(console: Harness, tmp_path):
    token = console.kiosk("K0042", "pilot", "城南街道")
    token_file = tmp_path / "console.token"
    token_file.write_text(token + "\n", "utf-8")
    os.chmod(token_file, 0o600)
    site = tmp_path / "kiosk.toml"
    site.write_text(
        f'[kiosk]\nid = "K0042"\n[fleet]\nconsole_url = "{console.url}"\nconsole_token_file = "{token_file}"\n',
        "utf-8",
    )
    service = Service(tmp_path)
    try:
        service.start(config=site)
        service.wait_heartbeat()  # the platform simulator got one …
        assert wait_for(lambda: (console.store.kiosk("K0042") or {}).get("beats", 0) >= 1, START_TIMEOUT_S), (
            service.stderr()[-3000:]
        )  # … and so did the console
        kiosk = console.store.kiosk("K0042")
        last = kiosk["last"]
        assert set(last["devices"]) >= {"idcard", "printer"} and "in_service" in last and "printer" in last
        assert kiosk["config_version"] == "local" and kiosk["state"] in ("ok", "attention", "out_of_service")
        assert service.stop() == 0
    finally:
        service.close()
