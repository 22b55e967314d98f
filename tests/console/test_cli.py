"""The console as the operators start it: ``kiosk fleet console`` as a process, accounts and kiosks by command."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from kiosk.console import fleet_sim, i18n
from tests.console.conftest import PASSWORD
from tests.polling import wait_for

ROOT = Path(__file__).resolve().parents[2]


def kiosk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)  # fmt: skip


def test_the_console_process_from_the_command_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'console.db'}"
    assert kiosk("fleet", "console-user", "alice", "--role", "operator", "--db", db, stdin="short\n").returncode == 1
    done = kiosk("fleet", "console-user", "alice", "--role", "operator", "--db", db, stdin=PASSWORD + "\n")
    assert done.returncode == 0 and "operator alice (operator) saved" in done.stdout
    token_file = tmp_path / "k.token"
    done = kiosk("fleet", "console-kiosk", "K0042", "--group", "pilot", "--db", db, "--token-file", str(token_file))
    assert done.returncode == 0 and oct(token_file.stat().st_mode)[-3:] == "600"
    token = token_file.read_text().strip()
    assert token not in done.stdout and len(token) >= 40
    assert kiosk("fleet", "console-kiosk", "K1", "--group", "Bad Group", "--db", db).returncode == 1

    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "fleet", "console", "--listen", "127.0.0.1:0", "--db", db],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "fleet console on http://127.0.0.1:" in line and "sqlite" in line
        url = line.split(" on ", 1)[1].split()[0]
        headers = {"Authorization": f"Bearer {token}", "X-Kiosk-Id": "K0042"}
        answer = requests.post(f"{url}/v1/kiosks/K0042/heartbeat", json=fleet_sim.heartbeat(), headers=headers,
                               timeout=30)  # fmt: skip
        assert answer.status_code == 204
        session = requests.Session()
        nonce = re.search(r'name="csrf" value="([^"]+)"', session.get(f"{url}/login", timeout=30).text)
        assert nonce
        session.post(f"{url}/login", data={"csrf": nonce.group(1), "name": "alice", "password": PASSWORD}, timeout=30)
        assert session.get(f"{url}/api/kiosks", timeout=30).json()["kiosks"][0]["beats"] == 1
        # retire the kiosk while the console runs: its token stops working
        done = kiosk("fleet", "console-kiosk", "K0042", "--remove", "--db", db)
        assert done.returncode == 0 and "removed" in done.stdout
        assert wait_for(lambda: requests.post(f"{url}/v1/kiosks/K0042/heartbeat", json=fleet_sim.heartbeat(),
                                              headers=headers, timeout=30).status_code == 401, 30)  # fmt: skip
        assert session.get(f"{url}/api/kiosks", timeout=30).json()["kiosks"] == []
        assert kiosk("fleet", "console-kiosk", "K0042", "--remove", "--db", db).returncode == 1
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    assert "Traceback" not in process.stderr.read() if process.stderr else True


def test_a_bad_database_url_is_a_clear_error(tmp_path):
    done = kiosk("fleet", "console", "--listen", "127.0.0.1:0", "--db", "mysql://x")
    assert done.returncode != 0 and "unsupported database URL" in done.stderr and "Traceback" not in done.stderr


def test_a_corrupt_database_is_a_clear_error(tmp_path):
    broken = tmp_path / "console.db"
    broken.write_bytes(b"this is not an SQLite database" * 100)
    done = kiosk("fleet", "console", "--listen", "127.0.0.1:0", "--db", f"sqlite:///{broken}")
    assert done.returncode == 1 and "not a database" in done.stderr and "Traceback" not in done.stderr
    assert broken.read_bytes().startswith(b"this is not")  # left as it was, for whoever investigates


def test_every_console_text_is_in_both_catalogs():
    used: set[str] = set()
    for template in (ROOT / "kiosk" / "console" / "templates").glob("*.html"):
        used |= set(re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', template.read_text("utf-8")))
    for module in (ROOT / "kiosk" / "console").glob("*.py"):
        used |= set(re.findall(r'N_\("((?:[^"\\]|\\.)*)"\)', module.read_text("utf-8")))
    from kiosk.console.alerts import RULES
    from kiosk.console.web import DEVICE_LABELS, DEVICE_STATES, STATE_LABELS

    used |= (
        set(RULES.values())
        | set(STATE_LABELS.values())
        | set(DEVICE_LABELS.values())
        | set(DEVICE_STATES.values())
        | {"viewer", "operator", "offered", "not offered", "stopped"}
    )
    zh, en = i18n.messages("zh_CN"), i18n.messages("en")
    assert not used - set(zh), used - set(zh)
    assert set(zh) == set(en)
    untranslated = [m for m in used if zh[m] == m or not re.search(r"[\u4e00-\u9fff]", zh[m])]
    assert untranslated == []
