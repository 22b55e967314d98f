"""The platform simulator over real HTTP: every endpoint, idempotency, validation, auth, the clock, faults."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from drivers.identity import id_number_valid
from drivers.sim.platform import Fault, PlatformSimulator, make_qr_payload
from drivers.sim.platform.faults import FaultBook

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def http(sim, h):
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {h.TOKEN}", "X-Kiosk-Id": h.KIOSK})

    def call(method, path, **kwargs):
        return session.request(method, sim.url + path, timeout=5, **kwargs)

    yield call
    session.close()


def verify(http, h, **body):
    return http(
        "POST", "/v1/identity/verifications", json={"method": "idcard", "id_type": "resident", **h.ZHANG, **body}
    )


def upload(http, h, key="file-1", data=None, ctype="image/jpeg"):
    return http(
        "POST",
        "/v1/files",
        data=h.JPEG if data is None else data,
        headers={"Content-Type": ctype, "Idempotency-Key": key},
    )


def submitted(http, h, key="app-1", **changes):
    v = verify(http, h).json()
    f = upload(http, h).json()
    body = h.wire_application(v["verification_id"], f["file_id"], **changes)
    return body, http("POST", "/v1/applications", json=body, headers={"Idempotency-Key": key})


def test_residents_have_valid_id_numbers(sim):
    assert len(sim.residents) >= 8
    for number, resident in sim.residents.items():
        old_permit = resident["id_type"] == "foreign_permanent" and len(number) == 15  # 2017 card: USA + 12 digits
        assert id_number_valid(number) or old_permit, resident["name"]
    codes = {c["code"] for r in sim.residents.values() for c in r["certificates"]}
    assert {"household_register", "marriage_certificate", "id_card", "disability_certificate"} <= codes


def test_verification_and_certificates(http, h):
    answer = verify(http, h)
    assert answer.status_code == 200
    body = answer.json()
    assert body["verified"] is True and body["subject"] == h.ZHANG and body["expires_in"] == 600
    certs = http("GET", "/v1/certificates", headers={"X-Verification-Token": body["token"]})
    assert certs.status_code == 200
    assert {c["code"] for c in certs.json()["certificates"]} == {
        "id_card",
        "household_register",
        "marriage_certificate",
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"name": "张三"}, "name_mismatch"),
        ({"id_number": "110101199003074514"}, "no_record"),
        ({"id_number": "320102198004200026", "name": "陈静"}, "card_invalid"),
    ],
)
def test_verification_refusals(http, h, change, reason):
    answer = verify(http, h, **change)
    assert answer.status_code == 200
    assert answer.json() == {"verified": False, "reason": reason}


def test_face_mismatch_only_with_a_photo(http, h):
    zhao = {"id_number": "370202197509090010", "name": "赵磊"}
    assert verify(http, h, **zhao).json()["verified"] is True
    photo = base64.b64encode(h.JPEG).decode()
    assert verify(http, h, **zhao, face_jpeg_b64=photo).json() == {"verified": False, "reason": "face_mismatch"}
    bad = verify(http, h, face_jpeg_b64="not base64!")
    assert bad.status_code == 422 and "face_jpeg_b64" in bad.json()["error"]["fields"]


def test_qr_verification(http, h, sim):
    good = make_qr_payload(h.ZHANG["id_number"], sim.now() + 60)
    assert http("POST", "/v1/identity/verifications", json={"method": "eid_qr", "qr_payload": good}).json()["verified"]
    old = make_qr_payload(h.ZHANG["id_number"], sim.now() - 1, "essc_qr")
    answer = http("POST", "/v1/identity/verifications", json={"method": "essc_qr", "qr_payload": old}).json()
    assert answer == {"verified": False, "reason": "qr_expired"}
    junk = http("POST", "/v1/identity/verifications", json={"method": "eid_qr", "qr_payload": "hello"}).json()
    assert junk == {"verified": False, "reason": "qr_invalid"}
    mismatched = http("POST", "/v1/identity/verifications", json={"method": "eid_qr", "qr_payload": old}).json()
    assert mismatched == {"verified": False, "reason": "qr_invalid"}  # an e-社保卡 code sent as an e-ID


def test_verification_token_expires(http, h, sim):
    token = verify(http, h).json()["token"]
    sim.advance(601)
    answer = http("GET", "/v1/certificates", headers={"X-Verification-Token": token})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "verification_expired"
    assert http("GET", "/v1/certificates", headers={"X-Verification-Token": "nope"}).status_code == 422


def test_auth(sim, h):
    url = sim.url + "/v1/applications/TB1"
    assert requests.get(url, headers={"Authorization": "Bearer wrong", "X-Kiosk-Id": h.KIOSK}).status_code == 401
    assert requests.get(url, headers={"X-Kiosk-Id": h.KIOSK}).status_code == 401
    assert requests.get(url, headers={"Authorization": f"Bearer {h.TOKEN}"}).status_code == 401
    answer = requests.get(url, headers={"Authorization": f"Bearer {h.TOKEN}", "X-Kiosk-Id": h.KIOSK})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


def test_unknown_path_and_method(http):
    assert http("GET", "/v2/nothing").status_code == 404
    assert http("DELETE", "/v1/files").status_code == 405


def test_file_upload_idempotency(http, h, sim):
    first = upload(http, h)
    assert first.status_code == 201
    assert first.json()["size"] == len(h.JPEG)
    again = upload(http, h)
    assert again.status_code == 200 and again.json() == first.json()
    other = upload(http, h, data=h.JPEG + b"x")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(sim.files()) == 1


@pytest.mark.parametrize(
    ("data", "ctype", "status"),
    [
        (b"\xff\xd8", "text/plain", 415),
        (b"", "image/jpeg", 422),
        (b"%PDF-1.4", "image/png", 422),
        (b"\xff\xd8" + b"\x00" * (5 * 1024 * 1024), "image/jpeg", 413),
    ],
)
def test_file_refusals(http, h, data, ctype, status):
    assert upload(http, h, key=f"k-{status}-{ctype}", data=data, ctype=ctype).status_code == status


def test_file_upload_needs_a_key(http, h):
    answer = http("POST", "/v1/files", data=h.PDF, headers={"Content-Type": "application/pdf"})
    assert answer.status_code == 422 and "Idempotency-Key" in answer.json()["error"]["fields"]


def test_application_idempotency(http, h, sim):
    body, first = submitted(http, h)
    assert first.status_code == 201
    accepted = first.json()
    assert accepted["status"] == "accepted" and accepted["handling_org"] == "北京市朝阳区政务服务中心"
    # the same body in another key order is the same body
    shuffled = json.loads(json.dumps(dict(reversed(list(body.items())))))
    again = http("POST", "/v1/applications", json=shuffled, headers={"Idempotency-Key": "app-1"})
    assert again.status_code == 200 and again.json() == accepted
    changed = http(
        "POST", "/v1/applications", json={**body, "form": {"reason": "改"}}, headers={"Idempotency-Key": "app-1"}
    )
    assert changed.status_code == 409
    reused = http("POST", "/v1/applications", json=body, headers={"Idempotency-Key": "app-2"})
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "duplicate_client_reference"
    assert [a["application_no"] for a in sim.applications()] == [accepted["application_no"]]


def test_idempotency_keys_are_per_kiosk(http, h, sim):
    upload(http, h, key="shared")
    other = requests.post(
        sim.url + "/v1/files",
        data=h.JPEG + b"2",
        timeout=5,
        headers={
            "Authorization": f"Bearer {h.TOKEN}",
            "X-Kiosk-Id": "K0002",
            "Content-Type": "image/jpeg",
            "Idempotency-Key": "shared",
        },
    )
    assert other.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {
                "applicant": {
                    "id_type": "resident",
                    "id_number": "110105199003071234",
                    "name": "张伟",
                    "phone": None,
                    "region_code": "110105",
                }
            },
            "applicant.id_number",
        ),
        ({"items": []}, "items"),
        ({"handling_region_code": "11"}, "handling_region_code"),
        ({"submitted_at": "2026-03-02 09:30"}, "submitted_at"),
        ({"kiosk_id": "K9999"}, "kiosk_id"),
        ({"form": []}, "form"),
        ({"agent": {"id_type": "alien"}}, "agent.id_type"),
        ({"materials": [{"code": "photo", "provided_as": "file", "file_id": "F-unknown"}]}, "materials[0].file_id"),
        ({"materials": [{"code": "x", "provided_as": "fax"}]}, "materials[0].provided_as"),
        ({"materials": [{"code": "x", "provided_as": "certificate"}]}, "materials[0].certificate_number"),
        ({"verification_id": "V-unknown"}, "verification_id"),
    ],
)
def test_application_validation(http, h, sim, change, field):
    _, answer = submitted(http, h, **change)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]
    assert sim.applications() == []


def test_validation_failure_is_not_remembered(http, h):
    body, answer = submitted(http, h, items=[])
    assert answer.status_code == 422
    body["items"] = ["X-001"]
    assert http("POST", "/v1/applications", json=body, headers={"Idempotency-Key": "app-1"}).status_code == 201


def test_bad_json(http):
    answer = http(
        "POST", "/v1/applications", data=b"{nope", headers={"Content-Type": "application/json", "Idempotency-Key": "x"}
    )
    assert answer.status_code == 400
    assert http("POST", "/v1/applications", json=[1], headers={"Idempotency-Key": "y"}).status_code == 400
    answer = http("POST", "/v1/applications", data=b"{}", headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415


def test_progress_moves_on_the_clock(http, h, sim):
    _, answer = submitted(http, h)
    number = answer.json()["application_no"]
    assert http("GET", f"/v1/applications/{number}").json()["status"] == "accepted"
    sim.advance(61)
    assert http("GET", f"/v1/applications/{number}").json()["status"] == "in_review"
    sim.advance(300)
    progress = http("GET", f"/v1/applications/{number}").json()
    assert [e["status"] for e in progress["history"]] == ["accepted", "in_review", "completed"]
    by_reference = http("GET", "/v1/applications", params={"client_reference": "K0001-000001"}).json()
    assert by_reference == progress
    assert http("GET", "/v1/applications", params={"client_reference": "K0001-000999"}).status_code == 404


def test_speed_and_manual_status(tmp_path, h):
    with PlatformSimulator(tmp_path / "p.db", token=h.TOKEN, speed=1e6) as fast:
        headers = {"Authorization": f"Bearer {h.TOKEN}", "X-Kiosk-Id": h.KIOSK}
        v = requests.post(
            fast.url + "/v1/identity/verifications",
            headers=headers,
            timeout=5,
            json={"method": "idcard", "id_type": "resident", **h.ZHANG},
        ).json()
        f = requests.post(
            fast.url + "/v1/files",
            data=h.JPEG,
            timeout=5,
            headers={**headers, "Content-Type": "image/jpeg", "Idempotency-Key": "f"},
        ).json()
        body = h.wire_application(v["verification_id"], f["file_id"])
        number = requests.post(
            fast.url + "/v1/applications", json=body, timeout=5, headers={**headers, "Idempotency-Key": "a"}
        ).json()["application_no"]
        time.sleep(0.01)
        assert fast.applications()[0]["status"] == "completed"
        fast.set_status(number, "need_more", "补充材料")
        assert fast.applications()[0]["status"] == "need_more"


def test_search_by_identity(http, h):
    _, answer = submitted(http, h)
    token = verify(http, h).json()["token"]
    found = http(
        "GET", "/v1/applications", params={"id_number": h.ZHANG["id_number"]}, headers={"X-Verification-Token": token}
    )
    assert [a["application_no"] for a in found.json()["applications"]] == [answer.json()["application_no"]]
    other = http(
        "GET", "/v1/applications", params={"id_number": "310104195208150048"}, headers={"X-Verification-Token": token}
    )
    assert other.status_code == 422 and other.json()["error"]["code"] == "verification_mismatch"
    assert http("GET", "/v1/applications").status_code == 422


def test_evaluations(http, h, sim):
    _, answer = submitted(http, h)
    number = answer.json()["application_no"]
    poor = http(
        "POST",
        "/v1/evaluations",
        json={"application_no": number, "level": 2, "reasons": []},
        headers={"Idempotency-Key": "e1"},
    )
    assert poor.status_code == 422 and "reasons" in poor.json()["error"]["fields"]
    label = {"application_no": number, "level": 2, "reasons": ["等待时间长"], "comment": ""}
    refused = http("POST", "/v1/evaluations", json=label, headers={"Idempotency-Key": "e0"})
    assert refused.status_code == 422 and "reasons" in refused.json()["error"]["fields"]  # codes, never labels
    body = {"application_no": number, "level": 2, "reasons": ["service_efficiency"], "comment": ""}
    first = http("POST", "/v1/evaluations", json=body, headers={"Idempotency-Key": "e1"})
    assert first.status_code == 201
    assert http("POST", "/v1/evaluations", json=body, headers={"Idempotency-Key": "e1"}).json() == first.json()
    second = http("POST", "/v1/evaluations", json={**body, "level": 5}, headers={"Idempotency-Key": "e2"})
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_evaluated"
    unknown = http("POST", "/v1/evaluations", json={**body, "application_no": "TB0"}, headers={"Idempotency-Key": "e3"})
    assert unknown.status_code == 422
    for level in (0, 6, True, "5"):
        bad = http("POST", "/v1/evaluations", json={**body, "level": level}, headers={"Idempotency-Key": "e4"})
        assert bad.status_code == 422
    assert len(sim.evaluations()) == 1


def test_heartbeat(http, sim, h):
    body = {
        "at": "2026-03-02T09:30:00+08:00",
        "software_version": "0.1.0",
        "config_version": "c1",
        "devices": {"printer": {"state": "online", "paper": "low"}},
        "outbox_depth": 3,
    }
    answer = http("POST", f"/v1/kiosks/{h.KIOSK}/heartbeat", json=body)
    assert answer.status_code == 204 and answer.content == b""
    assert sim.heartbeats()[0]["outbox_depth"] == 3
    assert http("POST", "/v1/kiosks/K0002/heartbeat", json=body).status_code == 403
    assert http("POST", f"/v1/kiosks/{h.KIOSK}/heartbeat", json={**body, "outbox_depth": -1}).status_code == 422


def test_persistence_across_restart(tmp_path, h):
    path = tmp_path / "p.db"
    headers = {"Authorization": f"Bearer {h.TOKEN}", "X-Kiosk-Id": h.KIOSK, "Content-Type": "image/pdf"}
    with PlatformSimulator(path, token=h.TOKEN) as first:
        answer = requests.post(
            first.url + "/v1/files",
            data=h.PDF,
            timeout=5,
            headers={**headers, "Content-Type": "application/pdf", "Idempotency-Key": "k"},
        )
    with PlatformSimulator(path, token=h.TOKEN) as second:
        again = requests.post(
            second.url + "/v1/files",
            data=h.PDF,
            timeout=5,
            headers={**headers, "Content-Type": "application/pdf", "Idempotency-Key": "k"},
        )
    assert again.status_code == 200 and again.json() == answer.json()


# -- faults -------------------------------------------------------------------------------------------------


def test_fault_error_and_throttle(http, sim, h):
    sim.set_faults("progress", error_rate=1.0, error_status=502)
    assert http("GET", "/v1/applications/TB1").status_code == 502
    sim.set_faults("progress", Fault(throttle_rate=1.0, retry_after=9))
    answer = http("GET", "/v1/applications/TB1")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "9"
    assert answer.json()["error"]["code"] == "too_many_requests"
    sim.clear_faults()
    assert http("GET", "/v1/applications/TB1").status_code == 404


def test_drop_before_commit_creates_nothing(http, sim, h):
    sim.set_faults("files", drop_before=1.0)
    with pytest.raises(requests.ConnectionError):
        upload(http, h)
    assert sim.files() == []


def test_drop_after_commit_keeps_the_record(http, sim, h):
    sim.set_faults("files", drop_after=1.0)
    with pytest.raises(requests.ConnectionError):
        upload(http, h)
    assert len(sim.files()) == 1
    sim.clear_faults()
    assert upload(http, h).status_code == 200  # the repeat gets the first answer
    assert sim.stats()["idempotency.replay"] == 1


def test_latency_applies(http, sim):
    sim.set_faults("progress", latency=0.05)
    assert sim.faults.get("progress").latency == 0.05
    assert http("GET", "/v1/applications/TB1").status_code == 404


def test_fault_parsing():
    assert Fault.parse("applications:drop_after=0.2,error_rate=0.1,error_status=500") == (
        "applications",
        Fault(drop_after=0.2, error_rate=0.1, error_status=500),
    )
    assert Fault.parse("*:latency=0.5") == ("*", Fault(latency=0.5))
    for bad in ("nowhere:error_rate=1", "files:speed=2", "files:error_rate=2", "files:error_status=200"):
        with pytest.raises(ValueError):
            Fault.parse(bad)


def test_fault_draws_follow_rates():
    book = FaultBook({"files": Fault(error_rate=0.25, drop_after=0.25)}, seed=3)
    draws = [book.draw("files")[1] for _ in range(4000)]
    assert 800 < draws.count("error") < 1200 and 800 < draws.count("drop_after") < 1200
    assert book.draw("heartbeat")[1] is None


def test_cli_prints_url_first_and_serves(tmp_path, h):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "sim",
            "platform",
            "--db",
            str(tmp_path / "cli.db"),
            "--token",
            h.TOKEN,
            "--fault",
            "heartbeat:error_rate=1,error_status=500",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        headers = {"Authorization": f"Bearer {h.TOKEN}", "X-Kiosk-Id": h.KIOSK}
        assert requests.get(url + "/v1/applications/TB1", headers=headers, timeout=5).status_code == 404
        assert (
            requests.post(url + f"/v1/kiosks/{h.KIOSK}/heartbeat", json={}, headers=headers, timeout=5).status_code
            == 500
        )
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_cli_rejects_bad_fault(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "sim", "platform", "--db", str(tmp_path / "x.db"), "--fault", "bogus:x=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=30,
    )
    assert result.returncode == 2 and "unknown endpoint" in result.stderr


def test_every_simulated_card_holder_is_a_platform_resident(sim):
    """The kiosk's card simulators and the platform simulator describe the same fictional people, so a card
    read at a simulated kiosk verifies."""
    import json
    from pathlib import Path

    import drivers.sim

    def deck(device: str) -> list[dict]:
        data = json.loads((Path(drivers.sim.__file__).parent / device / "deck.json").read_text("utf-8"))
        return data["cards"] if isinstance(data, dict) else data

    holders = [(card["name"], card["id_number"]) for card in deck("idcard") + deck("sscard")]
    for name, number in holders:
        assert number in sim.residents, (name, number)
        assert sim.residents[number]["name"] == name
