"""docs/platform-api.yaml is a valid OpenAPI 3.1 document and the simulator's answers conform to it."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import requests
import yaml
from openapi_spec_validator import validate

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "platform-api.yaml"


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_route_of_the_simulator_is_documented(spec):
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    assert documented == {
        ("/v1/identity/verifications", "POST"),
        ("/v1/certificates", "GET"),
        ("/v1/files", "POST"),
        ("/v1/applications", "POST"),
        ("/v1/applications", "GET"),
        ("/v1/applications/{application_no}", "GET"),
        ("/v1/evaluations", "POST"),
        ("/v1/kiosks/{kiosk_id}/heartbeat", "POST"),
    }


def test_the_heartbeat_check_of_both_receivers_follows_the_document(spec):
    """drivers/heartbeat_contract.py (the simulator's and the console's one check) holds the spec's required fields."""
    from drivers.heartbeat_contract import REQUIRED, VERSION_MAX, required_errors

    schema = spec["components"]["schemas"]["Heartbeat"]
    assert set(REQUIRED) == set(schema["required"])
    assert schema["properties"]["software_version"]["maxLength"] == VERSION_MAX
    checker = jsonschema.Draft202012Validator({**schema, "components": spec["components"]})
    good = {"at": "2026-12-07T03:00:00+08:00", "software_version": "1.0", "config_version": "7",
            "devices": {"printer": {"state": "ready"}}, "outbox_depth": 0}  # fmt: skip
    assert required_errors(good) == {} and checker.is_valid(good)
    for key, bad in (*((key, None) for key in REQUIRED), ("software_version", "v" * 65), ("outbox_depth", -1),
                     ("devices", {"printer": {}})):  # fmt: skip
        body = {k: v for k, v in {**good, key: bad}.items() if v is not None}
        assert key in required_errors(body) and not checker.is_valid(body), key


@pytest.fixture
def conforms(spec):
    def check(path: str, method: str, answer: requests.Response) -> None:
        responses = spec["paths"][path][method.lower()]["responses"]
        assert str(answer.status_code) in responses, f"{method} {path}: {answer.status_code} not documented"
        response = responses[str(answer.status_code)]
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        if "content" not in response:
            assert answer.content == b""
            return
        schema = {**response["content"]["application/json"]["schema"], "components": spec["components"]}
        jsonschema.Draft202012Validator(schema).validate(answer.json())

    return check


def test_simulator_answers_conform(sim, h, conforms):
    s = requests.Session()
    s.headers.update({"Authorization": f"Bearer {h.TOKEN}", "X-Kiosk-Id": h.KIOSK})
    u = sim.url

    def call(method, template, path=None, **kw):
        answer = s.request(method, u + (path or template), timeout=5, **kw)
        conforms(template, method, answer)
        return answer

    verifications = "/v1/identity/verifications"
    ok = call("POST", verifications, json={"method": "idcard", "id_type": "resident", **h.ZHANG}).json()
    call("POST", verifications, json={"method": "idcard", "id_type": "resident", **h.ZHANG, "name": "李四"})
    call("POST", verifications, json={"method": "idcard"})
    call("POST", verifications, data=b"[", headers={"Content-Type": "application/json"})
    token = {"X-Verification-Token": ok["token"]}
    for number, name in (("310104195208150048", "李秀英"), ("93182619800101001X", "SMITH JOHN")):
        other = s.post(
            u + verifications,
            json={"method": "idcard", "id_type": "resident", "id_number": number, "name": name},
            timeout=5,
        ).json()
        call("GET", "/v1/certificates", headers={"X-Verification-Token": other["token"]})
    call("GET", "/v1/certificates", headers=token)
    call("GET", "/v1/certificates", headers={"X-Verification-Token": "x"})
    file_headers = {"Content-Type": "image/jpeg", "Idempotency-Key": "f1"}
    f = call("POST", "/v1/files", data=h.JPEG, headers=file_headers).json()
    call("POST", "/v1/files", data=h.JPEG, headers=file_headers)
    call("POST", "/v1/files", data=h.JPEG + b"1", headers=file_headers)
    call("POST", "/v1/files", data=b"x", headers={"Content-Type": "text/plain", "Idempotency-Key": "f2"})
    body = h.wire_application(ok["verification_id"], f["file_id"])
    a = call("POST", "/v1/applications", json=body, headers={"Idempotency-Key": "a1"}).json()
    call("POST", "/v1/applications", json=body, headers={"Idempotency-Key": "a1"})
    call("POST", "/v1/applications", json={**body, "items": []}, headers={"Idempotency-Key": "a2"})
    call("POST", "/v1/applications", json=body, headers={"Idempotency-Key": "a3"})
    number = a["application_no"]
    sim.advance(1000)
    call("GET", "/v1/applications/{application_no}", f"/v1/applications/{number}")
    call("GET", "/v1/applications/{application_no}", "/v1/applications/TB0")
    call("GET", "/v1/applications", params={"client_reference": body["client_reference"]})
    call("GET", "/v1/applications", params={"client_reference": "none"})
    call("GET", "/v1/applications", params={"id_number": h.ZHANG["id_number"]}, headers=token)
    call("GET", "/v1/applications")
    e = {"application_no": number, "level": 5, "reasons": [], "comment": "好"}
    call("POST", "/v1/evaluations", json=e, headers={"Idempotency-Key": "e1"})
    call("POST", "/v1/evaluations", json=e, headers={"Idempotency-Key": "e1"})
    call("POST", "/v1/evaluations", json={**e, "level": 1}, headers={"Idempotency-Key": "e2"})
    call("POST", "/v1/evaluations", json={**e, "level": 9}, headers={"Idempotency-Key": "e3"})
    beat = {
        "at": "2026-03-02T09:30:00+08:00",
        "software_version": "0.1.0",
        "config_version": "c1",
        "devices": {},
        "outbox_depth": 0,
    }
    heartbeat = "/v1/kiosks/{kiosk_id}/heartbeat"
    call("POST", heartbeat, f"/v1/kiosks/{h.KIOSK}/heartbeat", json=beat)
    call("POST", heartbeat, f"/v1/kiosks/{h.KIOSK}/heartbeat", json={})
    call("POST", heartbeat, "/v1/kiosks/K9/heartbeat", json=beat)
    sim.set_faults("*", throttle_rate=1.0)
    call("GET", "/v1/applications/{application_no}", f"/v1/applications/{number}")
    sim.set_faults("*", throttle_rate=0.0, error_rate=1.0)
    call("POST", "/v1/files", data=h.JPEG, headers=file_headers)
    sim.clear_faults()
    s.headers["Authorization"] = "Bearer wrong"
    call("POST", "/v1/applications", json=body, headers={"Idempotency-Key": "a1"})
