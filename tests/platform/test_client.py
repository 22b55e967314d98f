"""The platform client: URL policy, headers, error classification, Retry-After, strict parsing of answers."""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import weakref

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.sim.platform import make_qr_payload
from kiosk.platform import CredentialError, MalformedAnswer, PermanentError, PlatformClient, RetryableError
from kiosk.platform.errors import classify, parse_retry_after


class FakeAdapter(requests.adapters.BaseAdapter):
    """Answers every request with one canned answer (or raises), and remembers what was sent."""

    def __init__(self, status=200, body=b"{}", headers=None, raises=None):
        super().__init__()
        self.status, self.body, self.headers, self.raises = status, body, headers or {}, raises
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        if self.raises:
            raise self.raises
        response = requests.Response()
        response.status_code = self.status
        response.headers.update(self.headers)
        response.raw = io.BytesIO(self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode())
        response.request = request
        response.url = request.url
        return response

    def close(self):
        pass


def fake_client(adapter: FakeAdapter, url="https://gateway.example.gov.cn") -> PlatformClient:
    def factory():
        session = requests.Session()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    return PlatformClient(url, "tok", "K0001", session_factory=factory)


# -- URL policy and headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:80", "https://x.gov.cn"])
def test_allowed_urls(url):
    PlatformClient(url, "t", "K1")


@pytest.mark.parametrize("url", ["http://10.0.0.5", "http://gateway.gov.cn", "ftp://127.0.0.1", "127.0.0.1:80"])
def test_plain_http_only_to_loopback(url):
    with pytest.raises(ValueError):
        PlatformClient(url, "t", "K1")


def test_token_is_not_in_repr():
    assert "secret" not in repr(PlatformClient("https://x.gov.cn", "secret", "K1"))


def test_every_request_carries_credentials_and_idempotency_key():
    adapter = FakeAdapter(201, {"evaluation_id": "E1"})
    assert fake_client(adapter).evaluate("TB1", 5, [], "", "key-1") == "E1"
    sent = adapter.sent[0]
    assert sent.headers["Authorization"] == "Bearer tok"
    assert sent.headers["X-Kiosk-Id"] == "K0001"
    assert sent.headers["Idempotency-Key"] == "key-1"
    assert json.loads(sent.body) == {"application_no": "TB1", "level": 5, "reasons": [], "comment": ""}


def test_ca_bundle_is_used_for_https(tmp_path):
    client = PlatformClient("https://x.gov.cn", "t", "K1", ca_bundle=str(tmp_path / "ca.pem"))
    assert client._verify == str(tmp_path / "ca.pem")


# -- classification -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (408, RetryableError),
        (425, RetryableError),
        (429, RetryableError),
        (500, RetryableError),
        (502, RetryableError),
        (503, RetryableError),
        (504, RetryableError),
        (409, PermanentError),
        (422, PermanentError),
        (400, PermanentError),
        (404, PermanentError),
        (413, PermanentError),
        (401, CredentialError),
        (403, CredentialError),
    ],
)
def test_status_classification(status, kind):
    assert classify(status) is kind
    adapter = FakeAdapter(
        status, {"error": {"code": "c", "message": "m", "fields": {"items": "bad"}}}, {"Retry-After": "7"}
    )
    with pytest.raises(kind) as caught:
        fake_client(adapter).submit_application({"a": 1}, "k")
    assert caught.value.status == status and caught.value.code == "c"
    assert caught.value.fields == {"items": "bad"}
    assert caught.value.retry_after == 7.0


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (requests.ConnectTimeout(), RetryableError),
        (requests.ReadTimeout(), RetryableError),
        (requests.ConnectionError(), RetryableError),
        (requests.exceptions.ChunkedEncodingError(), RetryableError),
        (requests.exceptions.SSLError(), CredentialError),
        (requests.exceptions.InvalidURL(), PermanentError),
    ],
)
def test_transport_failures(exc, kind):
    with pytest.raises(kind):
        fake_client(FakeAdapter(raises=exc)).progress("TB1")


def test_dropped_connection_against_the_simulator(sim, client):
    sim.set_faults("files", drop_before=1.0)
    with pytest.raises(RetryableError):
        client.upload_file(b"\xff\xd8x", "image/jpeg", "k")
    sim.set_faults("files", drop_before=0.0, drop_after=1.0)
    with pytest.raises(RetryableError):
        client.upload_file(b"\xff\xd8x", "image/jpeg", "k")
    sim.clear_faults()
    assert client.upload_file(b"\xff\xd8x", "image/jpeg", "k").size == 3


def test_wrong_token_against_the_simulator(sim, h):
    with pytest.raises(CredentialError):
        PlatformClient(sim.url, "wrong", h.KIOSK).progress("TB1")


def test_retry_after_forms():
    now = dt.datetime(2026, 3, 2, 1, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Mon, 02 Mar 2026 01:00:30 GMT", now) == 30.0
    assert parse_retry_after("Mon, 02 Mar 2026 00:59:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("99999999") == 86400.0


def test_local_refusals_before_sending():
    adapter = FakeAdapter()
    client = fake_client(adapter)
    with pytest.raises(PermanentError):
        client.upload_file(b"x" * (5 * 1024 * 1024 + 1), "image/jpeg", "k")
    with pytest.raises(PermanentError):
        client.upload_file(b"x", "text/plain", "k")
    assert adapter.sent == []


# -- round trips against the simulator --------------------------------------------------------------------


def test_round_trip(sim, client, verification, h):
    assert verification.subject_name == h.ZHANG["name"]
    assert "张伟" not in repr(verification) and verification.token not in repr(verification)
    assert [c.code for c in client.certificates(verification.token)][:2] == ["id_card", "household_register"]
    uploaded = client.upload_file(h.JPEG, "image/jpeg", "f1")
    body = h.wire_application(verification.verification_id, uploaded.file_id)
    accepted = client.submit_application(body, "a1")
    assert not accepted.replayed and accepted.accepted_at.utcoffset() == dt.timedelta(hours=8)
    again = client.submit_application(body, "a1")
    assert again.replayed and again.application_no == accepted.application_no
    assert client.progress(accepted.application_no).status == "accepted"
    assert client.progress("TB-none") is None
    assert client.progress_by_reference(body["client_reference"]).application_no == accepted.application_no
    assert client.progress_by_reference("K0001-999999") is None
    mine = client.applications_of(h.ZHANG["id_number"], verification.token)
    assert [p.application_no for p in mine] == [accepted.application_no]
    assert client.evaluate(accepted.application_no, 4, [], "", "e1").startswith("E")
    client.heartbeat(
        at="2026-03-02T09:30:00+08:00",
        software_version="0.1",
        config_version="c",
        devices={"printer": {"state": "online"}},
        outbox_depth=0,
    )
    with pytest.raises(PermanentError) as caught:
        client.submit_application({**body, "form": {"changed": True}}, "a1")
    assert caught.value.status == 409


def test_qr_and_face(sim, client, h):
    face = client.verify_identity(
        method="idcard", id_type="resident", id_number="370202197509090010", name="赵磊", face_jpeg=h.JPEG
    )
    assert not face.verified and face.reason == "face_mismatch"
    qr = client.verify_identity(method="eid_qr", qr_payload=make_qr_payload(h.ZHANG["id_number"], sim.now() + 60))
    assert qr.verified and qr.subject_id_number == h.ZHANG["id_number"]


# -- malformed answers: a retryable or permanent failure, never a crash ------------------------------------

GOOD = {
    "submit": {
        "application_no": "TB1",
        "status": "accepted",
        "accepted_at": "2026-03-02T09:30:00+08:00",
        "handling_org": "中心",
        "promised_by": "2026-03-09",
    },
    "progress": {
        "application_no": "TB1",
        "status": "in_review",
        "promised_by": None,
        "history": [{"at": "2026-03-02T09:30:00+08:00", "status": "accepted", "note": ""}],
    },
    "certificates": {
        "certificates": [
            {"code": "id_card", "name": "居民身份证", "number": None, "issuer": "x", "valid_to": "2030-01-01"}
        ]
    },
    "verify": {
        "verified": True,
        "verification_id": "V",
        "token": "T",
        "expires_in": 600,
        "subject": {"id_number": "1", "name": "n"},
    },
    "evaluate": {"evaluation_id": "E1"},
    "files": {"file_id": "F1", "sha256": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881", "size": 1},
}


def call(name: str, client: PlatformClient):
    return {
        "submit": lambda: client.submit_application({}, "k"),
        "progress": lambda: client.progress("TB1"),
        "certificates": lambda: client.certificates("t"),
        "verify": lambda: client.verify_identity(method="idcard"),
        "evaluate": lambda: client.evaluate("TB1", 5, [], "", "k"),
        "files": lambda: client.upload_file(b"x", "image/jpeg", "k"),
    }[name]()


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_answers_parse(name):
    assert call(name, fake_client(FakeAdapter(200, GOOD[name]))) is not None


@pytest.mark.parametrize("name", sorted(GOOD))
@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"\xff\xfe", b"[]", b"null", b'{"error": {"code": "x", "message": "y"}}', b"NaN", b"[" * 100000],
)
def test_broken_bodies_are_retryable(name, body):
    with pytest.raises(MalformedAnswer):
        call(name, fake_client(FakeAdapter(200, body)))


def test_unexpected_success_status_and_wrong_file_digest():
    with pytest.raises(MalformedAnswer):
        call("submit", fake_client(FakeAdapter(202, GOOD["submit"])))
    with pytest.raises(MalformedAnswer):
        call("files", fake_client(FakeAdapter(201, {**GOOD["files"], "size": 2})))


def test_oversized_answer():
    with pytest.raises(MalformedAnswer):
        call("evaluate", fake_client(FakeAdapter(201, b'{"evaluation_id": "' + b"x" * (3 * 1024 * 1024) + b'"}')))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)


def mutations(good: dict) -> st.SearchStrategy:
    """The good answer with one field removed, retyped, or set to junk — or anything at all."""
    keys = sorted(good)
    removed = st.sampled_from(keys).map(lambda k: {x: v for x, v in good.items() if x != k})
    retyped = st.tuples(st.sampled_from(keys), json_values).map(lambda kv: {**good, kv[0]: kv[1]})
    return removed | retyped | json_values


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_mutated_answers_never_crash(data):
    name = data.draw(st.sampled_from(sorted(GOOD)))
    value = data.draw(mutations(GOOD[name]))
    status = data.draw(st.sampled_from([200, 201]))
    try:
        result = call(name, fake_client(FakeAdapter(status, value)))
    except (MalformedAnswer, PermanentError):
        return
    assert result is not None


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=200), status=st.sampled_from([200, 201, 204, 400, 409, 422, 429, 500, 503]))
def test_arbitrary_bytes_never_crash(body, status):
    try:
        call("submit", fake_client(FakeAdapter(status, body)))
    except (RetryableError, PermanentError):
        pass


@settings(max_examples=60, deadline=None)
@given(error=json_values, status=st.sampled_from([400, 401, 403, 408, 409, 422, 429, 500, 503]))
def test_any_error_body_keeps_the_status_meaning(error, status):
    with pytest.raises(classify(status)):
        call("evaluate", fake_client(FakeAdapter(status, {"error": error})))


class _Resident:
    """Stands for what a journey frame holds (the identity, the application) while it calls the platform."""


def _call_and_forget(client: PlatformClient, holder: list, person: dict) -> None:
    resident = _Resident()
    holder.append(weakref.ref(resident))
    with pytest.raises(RetryableError):
        client.verify_identity(method="idcard", id_type="resident", **person)


@pytest.mark.parametrize("fault", [{"drop_before": 1.0}, {"drop_after": 1.0}, {"latency": 1.0}])
def test_a_failed_call_keeps_nothing_of_its_caller_alive(sim, fault, h):
    """requests/urllib3 leave reference cycles in a transport exception's frames; through f_back they kept the
    calling journey's frames — and the resident in them — alive until the cyclic collector happened to run."""
    sim.set_faults("identity", **fault)
    client = PlatformClient(sim.url, h.TOKEN, h.KIOSK, timeout=(2.0, 0.3))
    holder: list = []
    gc.collect()
    gc.disable()
    try:
        _call_and_forget(client, holder, h.ZHANG)
        assert holder[0]() is None  # freed by reference counting alone, no collection ran
    finally:
        gc.enable()
        client.close()
