"""Fixtures of the fleet console tests: a console on loopback, a private PostgreSQL, a mosquitto broker."""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.console import fleet_sim
from kiosk.console.alerts import Thresholds
from kiosk.console.auth import hash_password
from kiosk.console.server import ConsoleService, Options
from tests.mqtt_broker import mosquitto  # noqa: F401  (a fixture offered to the console tests)

PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- PostgreSQL: a private instance in a temporary folder, on a loopback port ---------------------------------
def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """The URL of a running private PostgreSQL server (skipped when Debian's postgresql cannot start here)."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql)")
    run_as: list[str] = []
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:  # initdb refuses root: run the server as Debian's postgres account
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres account to run PostgreSQL as")
        run_as, user = ["runuser", "-u", "postgres", "--"], "postgres"
    folder = Path(tempfile.mkdtemp(prefix="tongban-pg-"))
    data = folder / "data"
    if run_as:
        shutil.chown(folder, "postgres")
    port = free_port()
    init = subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync"],
        capture_output=True, text=True,
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off"
    start = subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "-t", "60",
         "start"],
        capture_output=True, text=True,
    )  # fmt: skip
    if start.returncode != 0:
        log = (folder / "log").read_text(errors="replace")[-300:] if (folder / "log").exists() else start.stderr
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {log}")
    try:
        yield f"postgresql://{user}@127.0.0.1:{port}"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def fresh_pg_database(server: str) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'console.db'}"
    return fresh_pg_database(request.getfixturevalue("postgres"))


# -- a running console ----------------------------------------------------------------------------------------
class Harness:
    def __init__(self, service: ConsoleService) -> None:
        self.service = service
        self.store = service.store
        self.url = service.url

    def kiosk(self, kiosk_id: str, group: str = "all", site: str = "城南") -> str:
        fleet_sim.register(self.store, [kiosk_id], group, site)
        return fleet_sim.token_of(kiosk_id)

    def beat(self, kiosk_id: str, **fields: Any) -> requests.Response:
        return requests.post(
            f"{self.url}/v1/kiosks/{kiosk_id}/heartbeat",
            json=fleet_sim.heartbeat(**fields),
            headers={"Authorization": f"Bearer {fleet_sim.token_of(kiosk_id)}", "X-Kiosk-Id": kiosk_id},
            timeout=30,
        )

    def operator(self, name: str = "alice", role: str = "operator") -> None:
        self.store.put_operator(name, hash_password(PASSWORD), role)

    def login(self, name: str = "alice", role: str = "operator") -> requests.Session:
        if self.store.operator(name) is None:
            self.operator(name, role)
        session = requests.Session()
        page = session.get(f"{self.url}/login", timeout=30)
        nonce = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert nonce, page.text
        answer = session.post(
            f"{self.url}/login", data={"csrf": nonce.group(1), "name": name, "password": PASSWORD, "next": "/"},
            timeout=30,
        )  # fmt: skip
        assert answer.status_code == 200 and answer.url.rstrip("/") == self.url, answer.text[:500]
        return session

    def csrf(self, session: requests.Session) -> str:
        page = session.get(f"{self.url}/alerts", timeout=30).text
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found
        return found.group(1)


def start_console(db: str, **options: Any) -> ConsoleService:
    limits = options.pop("limits", Thresholds(default_interval_s=60.0))
    return ConsoleService(Options(db=db, port=0, limits=limits, **options)).start()


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Harness]:
    service = start_console(f"sqlite:///{tmp_path / 'console.db'}")
    try:
        yield Harness(service)
    finally:
        service.stop()
