"""The console over HTTP as kiosks and operators use it: the heartbeat contract, many kiosks, access, the JSON API."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from kiosk.console import fleet_sim
from kiosk.console.alerts import Thresholds
from tests.console.conftest import PASSWORD, Harness, start_console
from tests.polling import wait_for


def test_the_heartbeat_contract_of_the_platform(console):
    console.kiosk("K0001")
    console.kiosk("K0002")
    url = f"{console.url}/v1/kiosks/K0001/heartbeat"
    good = {"Authorization": f"Bearer {fleet_sim.token_of('K0001')}", "X-Kiosk-Id": "K0001"}
    body = fleet_sim.heartbeat(new_field_of_a_newer_kiosk=[1, 2, 3])
    assert console.beat("K0001").status_code == 204
    assert requests.post(url, json=body, headers=good, timeout=30).status_code == 204

    def error(answer: requests.Response, status: int, code: str) -> dict[str, Any]:
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["code"] == code
        return answer.json()["error"]

    error(requests.post(url, json=body, timeout=30), 401, "unauthorized")
    error(
        requests.post(url, json=body, headers={**good, "Authorization": "Bearer nope"}, timeout=30), 401, "unauthorized"
    )
    error(
        requests.post(url, json=body, headers={"Authorization": good["Authorization"]}, timeout=30), 401, "unauthorized"
    )
    other = {"Authorization": f"Bearer {fleet_sim.token_of('K0002')}", "X-Kiosk-Id": "K0002"}
    error(requests.post(url, json=body, headers=other, timeout=30), 403, "forbidden")  # K0002 posting for K0001
    unknown = {"Authorization": "Bearer x", "X-Kiosk-Id": "K9999"}
    error(requests.post(f"{console.url}/v1/kiosks/K9999/heartbeat", json=body, headers=unknown, timeout=30), 401,
          "unauthorized")  # fmt: skip
    error(requests.post(url, data=b"{}", headers={**good, "Content-Type": "text/plain"}, timeout=30), 415,
          "unsupported_media_type")  # fmt: skip
    json_headers = {**good, "Content-Type": "application/json"}
    error(requests.post(url, data=b"{not json", headers=json_headers, timeout=30), 400, "bad_json")
    error(requests.post(url, data=b"[1]", headers=json_headers, timeout=30), 400, "bad_json")
    error(requests.post(url, data=b"\xff\xfe", headers=json_headers, timeout=30), 400, "bad_json")
    error(requests.post(url, data=b" " * (1024 * 1024 + 1), headers=json_headers, timeout=30), 413, "too_large")
    fields = error(requests.post(url, json={**body, "outbox_depth": -1, "at": "yesterday"}, headers=good, timeout=30),
                   422, "validation_failed")["fields"]  # fmt: skip
    assert set(fields) == {"outbox_depth", "at"}
    assert requests.get(url, headers=good, timeout=30).status_code in (404, 405)
    # the console stored the two good heartbeats and kept the unknown field as sent
    session = console.login()
    detail = session.get(f"{console.url}/api/kiosks/K0001", timeout=30).json()
    assert detail["beats"] == 2 and detail["last"]["new_field_of_a_newer_kiosk"] == [1, 2, 3]


@pytest.fixture
def patient_console(tmp_path: Path) -> Iterator[Harness]:
    """A console that never calls a kiosk silent: the blast below sends each kiosk's heartbeats in a burst, and on
    a loaded machine the gap after the burst outlasts three of the burst's own intervals."""
    service = start_console(f"sqlite:///{tmp_path / 'console.db'}", limits=Thresholds(silent_beats=100_000))
    try:
        yield Harness(service)
    finally:
        service.stop()


def test_many_simulated_kiosks(patient_console):
    console = patient_console
    ids = fleet_sim.kiosk_ids(300)
    fleet_sim.register(console.store, ids[:150], "pilot", "城南")
    fleet_sim.register(console.store, ids[150:], "all", "城北")
    paper_out = {i for i in ids[::37]}

    def make(kiosk_id: str) -> dict[str, Any]:
        return fleet_sim.heartbeat(
            config_version="12" if kiosk_id in ids[:150] else "11",
            printer={"paper": "out" if kiosk_id in paper_out else "ok"},
        )

    counts, _elapsed = fleet_sim.blast(console.url, ids, seconds=120, connections=24, total=3000, make=make)
    assert counts[204] >= 3000 and set(counts) == {204}
    session = console.login("viewer1", "viewer")
    api = session.get(f"{console.url}/api/kiosks", timeout=30).json()
    assert len(api["kiosks"]) == 300 and sum(k["beats"] for k in api["kiosks"]) == counts[204]
    assert api["counts"]["attention"] == len(paper_out) and api["counts"]["ok"] == 300 - len(paper_out)
    alerts = session.get(f"{console.url}/api/alerts", timeout=30).json()["alerts"]
    assert {a["kiosk_id"] for a in alerts} == paper_out and {a["rule"] for a in alerts} == {"paper_out"}
    # filters, as the overview's form sends them
    pilot = session.get(f"{console.url}/api/kiosks", params={"group": "pilot", "state": "attention"}, timeout=30)
    assert {k["id"] for k in pilot.json()["kiosks"]} == {i for i in paper_out if i in ids[:150]}
    v11 = session.get(f"{console.url}/api/kiosks", params={"config_version": "11", "site": "城北"}, timeout=30)
    assert len(v11.json()["kiosks"]) == 150
    page = session.get(f"{console.url}/", params={"group": "pilot"}, timeout=30)
    assert page.status_code == 200 and "共 150 台终端" in page.text


def test_nothing_answers_without_a_session(console):
    console.kiosk("K0001")
    console.beat("K0001")
    for path in ("/", "/alerts", "/rollouts", "/kiosks/K0001"):
        answer = requests.get(f"{console.url}{path}", allow_redirects=False, timeout=30)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    for path in ("/api/kiosks", "/api/kiosks/K0001", "/api/rollouts", "/api/alerts"):
        assert requests.get(f"{console.url}{path}", timeout=30).status_code == 401
    assert requests.post(f"{console.url}/api/alerts/1/ack", timeout=30).status_code == 401
    forged = requests.get(f"{console.url}/api/kiosks", cookies={"tb_session": "guess"}, timeout=30)
    assert forged.status_code == 401


def test_login_password_lockout_logout_and_safe_redirects(console):
    console.operator("alice")
    session = requests.Session()
    page = session.get(f"{console.url}/login?next=//evil.example/x", timeout=30).text
    assert 'value="/"' in page  # never sent off-site after login
    nonce = page.split('name="csrf" value="')[1].split('"')[0]
    wrong = session.post(f"{console.url}/login", data={"csrf": nonce, "name": "alice", "password": "wrong"}, timeout=30)
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    no_nonce = requests.post(f"{console.url}/login", data={"name": "alice", "password": PASSWORD}, timeout=30)
    assert no_nonce.status_code == 401 and "tb_session" not in no_nonce.cookies
    for _ in range(5):
        nonce = session.get(f"{console.url}/login", timeout=30).text.split('name="csrf" value="')[1].split('"')[0]
        answer = session.post(
            f"{console.url}/login", data={"csrf": nonce, "name": "alice", "password": "x"}, timeout=30
        )
    assert "失败次数过多" in answer.text
    nonce = session.get(f"{console.url}/login", timeout=30).text.split('name="csrf" value="')[1].split('"')[0]
    locked = session.post(
        f"{console.url}/login", data={"csrf": nonce, "name": "alice", "password": PASSWORD}, timeout=30
    )
    assert locked.status_code == 401  # the right password does not help while locked
    console.service.console.accounts._failures.clear()

    bob = console.login("bob", "viewer")
    cookie = bob.cookies["tb_session"]
    assert console.store.session(cookie)["role"] == "viewer"
    stored = console.store.operator("bob")["password_hash"]
    assert stored.startswith("$argon2id$")
    csrf = console.csrf(bob)
    assert bob.post(f"{console.url}/logout", data={"csrf": csrf}, timeout=30).status_code == 200
    assert console.store.session(cookie) is None
    assert requests.get(f"{console.url}/api/kiosks", cookies={"tb_session": cookie}, timeout=30).status_code == 401


def test_roles_and_csrf_on_acknowledgement(console):
    console.kiosk("K0001")
    console.beat("K0001", printer={"paper": "out"})
    alert_id = console.store.alerts()[0]["id"]
    viewer = console.login("vera", "viewer")
    assert "/ack" not in viewer.get(f"{console.url}/alerts", timeout=30).text  # no button
    token = console.csrf(viewer)
    answer = viewer.post(f"{console.url}/alerts/{alert_id}/ack", data={"csrf": token}, timeout=30)
    assert answer.status_code == 403 and "只有运维员" in answer.text
    assert viewer.post(f"{console.url}/api/alerts/{alert_id}/ack", headers={"X-CSRF-Token": token},
                       timeout=30).status_code == 403  # fmt: skip
    operator = console.login("olga", "operator")
    assert operator.post(f"{console.url}/alerts/{alert_id}/ack", data={}, timeout=30).status_code == 403  # no CSRF
    forged = operator.post(f"{console.url}/alerts/{alert_id}/ack", data={"csrf": token}, timeout=30)
    assert forged.status_code == 403  # another session's token
    assert console.store.alerts()[0]["acked_by"] is None
    answer = operator.post(f"{console.url}/alerts/{alert_id}/ack", data={"csrf": console.csrf(operator)}, timeout=30)
    assert answer.status_code == 200 and console.store.alerts()[0]["acked_by"] == "olga"
    headers = {"X-CSRF-Token": console.csrf(operator)}
    assert operator.post(f"{console.url}/api/alerts/999/ack", headers=headers, timeout=30).status_code == 404


def test_pages_and_answers_carry_security_headers(console):
    session = console.login()
    for path in ("/", "/api/kiosks", "/login"):
        headers = session.get(f"{console.url}{path}", timeout=30).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"
    cookie = next(c for c in session.cookies if c.name == "tb_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite", "").lower() == "strict"


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


def test_alerts_leave_by_webhook_rate_limited_and_as_a_log_line(tmp_path, caplog):
    _Receiver.received = []
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    service = start_console(f"sqlite:///{tmp_path / 'c.db'}", webhooks={"paper_out": hook}, webhook_rate=3)
    try:
        from tests.console.conftest import Harness

        console = Harness(service)
        ids = [f"K{n}" for n in range(6)]
        for kiosk_id in ids:
            console.kiosk(kiosk_id)
        with caplog.at_level("WARNING", logger="kiosk.console.alerts"):
            for kiosk_id in ids:
                assert console.beat(kiosk_id, printer={"paper": "out"}).status_code == 204
            console.beat("K0", devices={"printer": {"state": "offline"}}, printer={"paper": "out"})  # no hook
            assert wait_for(lambda: len(_Receiver.received) == 3)
        assert not wait_for(lambda: len(_Receiver.received) > 3, 1.0)  # the other three were held back
        sent = _Receiver.received
        assert [m["alert"]["kiosk_id"] for m in sent] == ["K0", "K1", "K2"]
        assert sent[0]["event"] == "opened" and sent[0]["alert"]["rule"] == "paper_out"
        assert sum("alert opened: kiosk" in r.getMessage() and "paper_out" in r.getMessage()
                   for r in caplog.records) == 6  # fmt: skip
        # the next request after the window says how many were held back
        notifier = service.notifier
        notifier._sent["paper_out"] = []
        console.beat("K5", printer={"paper": "ok"})
        console.beat("K5", printer={"paper": "out"})
        assert wait_for(lambda: len(_Receiver.received) == 4)
        assert _Receiver.received[-1]["suppressed"] == 3
        # K5's first alert never went out, so neither did its closing; K1's did, so its closing follows
        console.beat("K1", printer={"paper": "ok"})
        assert wait_for(lambda: len(_Receiver.received) == 5)
        assert (_Receiver.received[-1]["event"], _Receiver.received[-1]["alert"]["kiosk_id"]) == ("closed", "K1")
    finally:
        service.stop()
        receiver.shutdown()
        receiver.server_close()


def test_the_same_console_on_sqlite_and_postgresql(db_url):
    from tests.console.conftest import Harness

    # never silent: a loaded machine may pause the blast's kiosks longer than their interval (not what is tested here)
    service = start_console(db_url, limits=Thresholds(silent_beats=100_000))
    try:
        console = Harness(service)
        ids = fleet_sim.kiosk_ids(50)
        fleet_sim.register(console.store, ids, "pilot", "城南")
        counts, _ = fleet_sim.blast(console.url, ids, seconds=120, connections=8, total=500)
        assert counts[204] >= 500 and set(counts) == {204}
        console.beat(ids[0], in_service=False, service_reason="staff")
        session = console.login()
        api = session.get(f"{console.url}/api/kiosks", timeout=30).json()
        assert sum(k["beats"] for k in api["kiosks"]) == counts[204] + 1
        assert api["counts"]["out_of_service"] == 1
        assert session.get(f"{console.url}/api/alerts", timeout=30).json()["alerts"][0]["detail"] == "staff"
    finally:
        service.stop()


def test_a_kiosk_that_stops_beating_turns_silent_and_comes_back(tmp_path):
    from kiosk.console.alerts import Thresholds
    from tests.console.conftest import Harness

    service = start_console(f"sqlite:///{tmp_path / 'c.db'}", limits=Thresholds(silent_beats=3, default_interval_s=1))
    try:
        console = Harness(service)
        console.kiosk("K0001")
        console.kiosk("K0002")
        for _ in range(3):
            assert console.beat("K0001").status_code == 204
        session = console.login()

        def state() -> str:
            kiosks = session.get(f"{console.url}/api/kiosks", timeout=30).json()["kiosks"]
            return next(k["state"] for k in kiosks if k["id"] == "K0001")

        assert wait_for(lambda: state() == "silent", 60)  # three missed beats of at least 1 s: the sweep opens it
        alert = session.get(f"{console.url}/api/alerts", timeout=30).json()["alerts"][0]
        assert (alert["kiosk_id"], alert["rule"]) == ("K0001", "silent")
        assert console.beat("K0001").status_code == 204
        assert state() == "ok" and session.get(f"{console.url}/api/alerts", timeout=30).json()["alerts"] == []
        kiosks = session.get(f"{console.url}/api/kiosks", timeout=30).json()["kiosks"]
        assert next(k["state"] for k in kiosks if k["id"] == "K0002") == "never_seen"  # registered, never heard
    finally:
        service.stop()


def test_a_new_token_from_another_process_replaces_the_old_one_on_a_running_console(console, tmp_path):
    from kiosk.console.store import Store

    console.kiosk("K0001")
    assert console.beat("K0001").status_code == 204
    other = Store(console.store.url)  # `kiosk fleet console-kiosk K0001` run beside the console
    new_token = other.add_kiosk("K0001", "all")
    other.close()
    headers = {"Authorization": f"Bearer {new_token}", "X-Kiosk-Id": "K0001"}
    assert wait_for(lambda: console.beat("K0001").status_code == 401, 30)  # the old token, within seconds
    answer = requests.post(f"{console.url}/v1/kiosks/K0001/heartbeat", json=fleet_sim.heartbeat(), headers=headers,
                           timeout=30)  # fmt: skip
    assert answer.status_code == 204


def test_a_database_failure_is_a_retryable_answer_and_loses_nothing_acknowledged(console, monkeypatch):
    from sqlalchemy.exc import OperationalError

    console.kiosk("K0001")
    real = console.store.ingest
    failures = iter([True])

    def failing(batch):
        if next(failures, False):
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(batch)

    monkeypatch.setattr(console.store, "ingest", failing)
    answer = console.beat("K0001", outbox_depth=3)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
    assert answer.json()["error"]["code"] == "unavailable"
    assert console.beat("K0001", outbox_depth=3).status_code == 204  # the kiosk's next try
    kiosk = console.store.kiosk("K0001")
    assert kiosk["beats"] == 1 and kiosk["outbox_depth"] == 3


def test_the_kiosk_page_lists_the_heartbeats_where_something_changed(console):
    console.kiosk("K0001")
    offline = {**fleet_sim.heartbeat()["devices"], "camera": {"state": "offline", "warnings": []}}
    for devices in [None, None, offline, offline, offline, None, None]:
        assert console.beat("K0001", **({"devices": devices} if devices else {})).status_code == 204
    page = console.login().get(f"{console.url}/kiosks/K0001", timeout=30).text
    rows = page.split('<table id="history">')[1].split("</table>")[0].count("<tr>") - 1  # minus the header row
    assert rows == 3  # the first, the camera going offline, the camera back
    assert page.count("离线") >= 2  # the open alert and the row
