"""The outbox: delivery, events, permanent failures kept, staff retry/export, credential alarm, restart,
Retry-After, encryption at rest and the key file."""

from __future__ import annotations

import json
import os
import stat
import threading
import time

import pytest

from kiosk.platform import PlatformClient
from kiosk.platform.outbox import Attachment, Outbox


@pytest.fixture
def make_outbox(sim, tmp_path, h):
    made = []

    def make(data_dir=None, token=None):
        client = PlatformClient(sim.url, token or h.TOKEN, h.KIOSK, timeout=(2.0, 5.0))
        outbox = Outbox(data_dir or tmp_path / "kiosk", client, h.KIOSK, backoff_base=0.01, backoff_cap=0.05)
        made.append(outbox)
        return outbox

    yield make
    for outbox in made:
        outbox.close()


def test_delivers_files_then_application(make_outbox, sim, verification, h):
    outbox = make_outbox()
    events = []
    outbox.add_listener(events.append)
    body = h.application(verification.verification_id)
    body["materials"].append({"code": "promise", "provided_as": "commitment", "signature_file_index": 1})
    reference = outbox.enqueue_application([(h.JPEG, "image/jpeg"), Attachment(h.PDF, "application/pdf")], body)
    assert reference == f"K0001-{outbox.instance}-000001"
    assert [j.reference for j in outbox.pending()] == [reference] and outbox.depth() == 1
    outbox.start()
    assert outbox.wait_idle(10)
    (delivered,) = sim.applications()
    assert delivered["client_reference"] == reference and delivered["kiosk_id"] == h.KIOSK
    materials = delivered["body"]["materials"]
    file_ids = {f["file_id"] for f in sim.files()}
    assert materials[0]["file_id"] in file_ids and materials[3]["signature_file_id"] in file_ids
    assert "file_index" not in materials[0] and "signature_file_index" not in materials[3]
    assert [e.type for e in events] == ["delivered"]
    assert events[0].job.application_no == delivered["application_no"]
    assert outbox.lookup(reference).result["handling_org"] == "北京市朝阳区政务服务中心"
    assert outbox.pending() == [] and outbox.depth() == 0
    second = outbox.enqueue_application([], h.application(verification.verification_id, materials=[]))
    assert second == f"K0001-{outbox.instance}-000002"


def test_a_new_database_never_reuses_a_reference(make_outbox, sim, verification, h, tmp_path):
    """A reinstall or a new disk starts the sequence again, under a new instance: no 409 duplicate."""
    first = make_outbox(tmp_path / "disk1")
    old = first.enqueue_application([], h.application(verification.verification_id, materials=[]))
    first.start()
    assert first.wait_idle(10)
    second = make_outbox(tmp_path / "disk2")  # the same kiosk id, a brand-new outbox database
    new = second.enqueue_application([], h.application(verification.verification_id, materials=[]))
    assert old.endswith("-000001") and new.endswith("-000001") and new != old
    second.start()
    assert second.wait_idle(10)
    assert second.lookup(new).state == "delivered"
    assert len({a["client_reference"] for a in sim.applications()}) == 2


def test_enqueue_refuses_bad_input(make_outbox, verification, h):
    outbox = make_outbox()
    body = h.application(verification.verification_id)
    with pytest.raises(ValueError):
        outbox.enqueue_application([(h.JPEG, "image/gif")], body)
    with pytest.raises(ValueError):
        outbox.enqueue_application([(b"", "image/jpeg")], body)
    with pytest.raises(ValueError):
        outbox.enqueue_application([], body)  # file_index 0 refers to nothing
    with pytest.raises(ValueError):
        outbox.enqueue_evaluation(1, [], application_no="TB1")
    with pytest.raises(ValueError):
        outbox.enqueue_evaluation(6, [], application_no="TB1")
    with pytest.raises(ValueError):
        outbox.enqueue_evaluation(5)
    assert outbox.depth() == 0


def test_permanent_failure_is_kept_for_staff(make_outbox, sim, verification, h, tmp_path):
    outbox = make_outbox()
    events = []
    outbox.add_listener(events.append)
    bad = outbox.enqueue_application([(h.JPEG, "image/jpeg")], h.application("V-unknown"))
    good = outbox.enqueue_application([(h.JPEG, "image/jpeg")], h.application(verification.verification_id))
    outbox.start()
    assert outbox.wait_idle(10)
    (failed,) = outbox.failed()
    assert failed.reference == bad and "422" in failed.last_error and "verification_id" in failed.last_error
    assert [e.type for e in events] == ["failed", "delivered"] or [e.type for e in events] == ["delivered", "failed"]
    assert [a["client_reference"] for a in sim.applications()] == [good]
    export = tmp_path / "failed.json"
    assert outbox.export_failed(export) == 1
    assert stat.S_IMODE(export.stat().st_mode) == 0o600
    exported = json.loads(export.read_text(encoding="utf-8"))
    assert exported[0]["reference"] == bad and exported[0]["payload"]["applicant"]["name"] == "张伟"
    outbox.retry(failed.id)  # staff retry: still refused, still kept
    assert outbox.wait_idle(10)
    assert [j.reference for j in outbox.failed()] == [bad]
    with pytest.raises(KeyError):
        outbox.retry(999)


def test_credential_alarm_stops_sending_until_resumed(make_outbox, sim, verification, h):
    outbox = make_outbox()
    alarms = []
    outbox.add_listener(lambda e: alarms.append(e) if e.type == "alarm" else None)
    sim.token = "rotated"
    outbox.enqueue_application([(h.JPEG, "image/jpeg")], h.application(verification.verification_id))
    outbox.start()
    deadline = time.monotonic() + 10
    while not (outbox.alarm and alarms) and time.monotonic() < deadline:  # the listener runs just after
        time.sleep(0.02)
    assert outbox.alarm and "401" in outbox.alarm and len(alarms) == 1
    requests_seen = sim.stats().get("requests.files", 0)
    time.sleep(0.3)
    assert sim.stats().get("requests.files", 0) == requests_seen  # nothing more was sent
    assert outbox.depth() == 1 and outbox.failed() == []
    sim.token = h.TOKEN
    outbox.resume()
    assert outbox.wait_idle(10)
    assert len(sim.applications()) == 1


def test_delivery_resumes_after_restart(make_outbox, sim, verification, h, tmp_path):
    first = make_outbox()
    references = [
        first.enqueue_application([(h.JPEG, "image/jpeg")], h.application(verification.verification_id))
        for _ in range(3)
    ]
    first.close()  # never started: the process "died" after queueing
    second = make_outbox()
    assert [j.reference for j in second.pending()] == references
    second.start()
    assert second.wait_idle(10)
    assert sorted(a["client_reference"] for a in sim.applications()) == references
    assert second.enqueue_application([(h.JPEG, "image/jpeg")], h.application(verification.verification_id)) == (
        f"K0001-{second.instance}-000004"
    )
    assert second.instance == first.instance  # the same database keeps its instance


def test_retry_after_is_honoured(make_outbox, sim, verification, h):
    outbox = make_outbox()
    sim.set_faults("files", throttle_rate=1.0, retry_after=30)
    outbox.enqueue_application([(h.JPEG, "image/jpeg")], h.application(verification.verification_id))
    before = time.time()
    outbox.start()
    deadline = time.monotonic() + 10
    while not outbox.pending()[0].attempts and time.monotonic() < deadline:
        time.sleep(0.02)
    job = outbox.pending()[0]
    assert "429" in job.last_error
    assert job.next_attempt_at >= before + 30  # the tiny configured back-off yields to Retry-After
    sim.clear_faults()
    outbox.kick()  # e.g. a heartbeat got through: do not wait the half minute
    assert outbox.wait_idle(10)


def test_retryable_errors_back_off_and_deliver(make_outbox, sim, verification, h):
    outbox = make_outbox()
    sim.set_faults("applications", error_rate=0.5, drop_after=0.3, retry_after=0)
    for _ in range(5):
        outbox.enqueue_application([(h.JPEG, "image/jpeg")], h.application(verification.verification_id))
    outbox.start()
    assert outbox.wait_idle(30)
    assert len(sim.applications()) == 5 and outbox.failed() == []


def test_backoff_grows_with_jitter_and_cap(make_outbox):
    outbox = make_outbox()
    outbox.backoff_base, outbox.backoff_cap = 1.0, 60.0
    for attempt, ceiling in ((1, 1), (2, 2), (3, 4), (7, 60), (50, 60)):
        delays = {outbox._backoff(attempt) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1


def test_evaluation_waits_for_its_application(make_outbox, sim, verification, h):
    outbox = make_outbox()
    reference = outbox.enqueue_application([(h.JPEG, "image/jpeg")], h.application(verification.verification_id))
    evaluation = outbox.enqueue_evaluation(1, ["guide_accuracy"], "说明不清", local_reference=reference)
    assert evaluation == f"K0001-{outbox.instance}-E000001"
    sim.set_faults("evaluations", drop_after=0.5)
    outbox.start()
    assert outbox.wait_idle(10)
    (rated,) = sim.evaluations()
    assert rated["application_no"] == sim.applications()[0]["application_no"]
    assert rated["level"] == 1 and rated["reasons"] == ["guide_accuracy"]
    later = outbox.enqueue_evaluation(5, application_no=rated["application_no"])
    assert outbox.wait_idle(10)
    assert "409" in outbox.lookup(later).last_error  # one evaluation per application: kept, not dropped
    with pytest.raises(KeyError):
        outbox.enqueue_evaluation(5, local_reference="K0001-999999")


def test_personal_data_encrypted_at_rest(make_outbox, verification, h, tmp_path):
    data_dir = tmp_path / "kiosk"
    outbox = make_outbox(data_dir)
    secret_file = b"\xff\xd8" + "身份证照片 110105199003071239".encode()
    for _ in range(3):
        outbox.enqueue_application([(secret_file, "image/jpeg")], h.application(verification.verification_id))
    raw = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("outbox.sqlite3"))
    assert len(raw) > 4096
    for needle in (h.ZHANG["name"], h.ZHANG["id_number"], "13800138000", "测试"):
        assert needle.encode() not in raw and needle.encode("utf-16-le") not in raw
    assert f"K0001-{outbox.instance}-000001".encode() in raw  # the reference is not personal and stays readable
    key = data_dir / "outbox.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32


def test_key_file_is_reused_and_tightened(make_outbox, verification, h, tmp_path):
    data_dir = tmp_path / "kiosk"
    first = make_outbox(data_dir)
    first.enqueue_application([(h.JPEG, "image/jpeg")], h.application(verification.verification_id))
    key = (data_dir / "outbox.key").read_bytes()
    first.close()
    os.chmod(data_dir / "outbox.key", 0o644)
    second = make_outbox(data_dir)
    assert (data_dir / "outbox.key").read_bytes() == key
    assert stat.S_IMODE((data_dir / "outbox.key").stat().st_mode) == 0o600
    second.start()
    assert second.wait_idle(10)


def test_a_replaced_key_fails_the_job_for_staff(make_outbox, sim, verification, h, tmp_path):
    data_dir = tmp_path / "kiosk"
    first = make_outbox(data_dir)
    first.enqueue_application([(h.JPEG, "image/jpeg")], h.application(verification.verification_id))
    first.close()
    (data_dir / "outbox.key").unlink()
    second = make_outbox(data_dir)
    second.start()
    assert second.wait_idle(10)
    (failed,) = second.failed()
    assert "sealed data" in failed.last_error and sim.applications() == []


def test_damaged_key_file_is_refused(make_outbox, tmp_path):
    data_dir = tmp_path / "kiosk"
    data_dir.mkdir()
    (data_dir / "outbox.key").write_bytes(b"short")
    with pytest.raises(ValueError):
        make_outbox(data_dir)


def test_wait_idle_returns_only_after_the_listeners_ran(make_outbox, verification, h):
    """The receipt race: a receipt printed after wait_idle() must see what the listeners recorded."""
    outbox = make_outbox()
    heard: list[str] = []
    release = threading.Event()

    def slow_listener(event):
        release.wait(1.0)  # a listener still busy when the job is already marked delivered
        heard.append(event.type)

    outbox.add_listener(slow_listener)
    outbox.enqueue_application([], h.application(verification.verification_id, materials=[]))
    outbox.start()
    assert outbox.wait_idle(15)
    assert heard == ["delivered"]
