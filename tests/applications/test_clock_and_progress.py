"""One clock (the kiosk's zone for everything shown, printed and recorded), the receipt QR's progress page on
the platform simulator, promised-date changes with their reason, either number on the keypad, `kiosk progress`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from kiosk import clock
from kiosk.applications import ProgressQrError, parse_progress_qr
from kiosk.applications.progress import typed_key
from kiosk.config.schema import KioskSection


@pytest.fixture
def zone_restored():
    yield
    clock.configure(clock.DEFAULT_ZONE)


def test_every_time_is_in_the_configured_zone_whatever_the_pc_zone(zone_restored):
    midnight_utc = dt.datetime(2026, 12, 6, 22, 19, tzinfo=dt.UTC)  # the "22:19 on the home screen"
    assert clock.local(midnight_utc).strftime("%m-%d %H:%M") == "12-07 06:19"  # Asia/Shanghai by default
    assert clock.stamp(midnight_utc.timestamp()) == "2026-12-07 06:19"
    assert clock.local(midnight_utc.replace(tzinfo=None)).hour == 6  # naive means UTC, not the PC's zone
    assert clock.now().utcoffset() == dt.timedelta(hours=8)
    clock.configure("Asia/Urumqi")
    assert clock.stamp(midnight_utc) == "2026-12-07 04:19"


def test_the_zone_comes_from_configuration_and_a_wrong_one_is_refused():
    assert KioskSection().time_zone == "Asia/Shanghai"
    with pytest.raises(ValueError, match="unknown time zone"):
        KioskSection(time_zone="Mars/Olympus")


def test_logs_show_the_kiosk_zone(zone_restored):
    from kiosk.logs import JsonFormatter

    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None)
    record.created = dt.datetime(2026, 12, 6, 22, 19, tzinfo=dt.UTC).timestamp()
    assert json.loads(JsonFormatter().format(record))["at"].startswith("2026-12-07T06:19:00.000+08:00")


def test_https_progress_qr_round_trips_and_old_receipts_still_read():
    key = parse_progress_qr("https://zwfw.example.gov.cn/progress?no=TB202603020000001&ref=K0001-7QX2M-000001")
    assert (key.application_no, key.reference) == ("TB202603020000001", "K0001-7QX2M-000001")
    assert parse_progress_qr("tongban://progress?ref=K0001-000002").reference == "K0001-000002"
    for bad in ("http://zwfw.example.gov.cn/progress?no=TB202603020000001",  # not https
                "https://user@evil.example/progress?no=TB202603020000001",  # user info
                "https:///progress?no=TB202603020000001", "https://x/progress?id=1"):  # fmt: skip
        with pytest.raises(ProgressQrError):
            parse_progress_qr(bad)


@given(st.text(max_size=60))
def test_progress_qr_parser_is_total(text):
    try:
        parse_progress_qr("https://zwfw.example.gov.cn/progress?" + text)
    except ProgressQrError:
        pass


@pytest.mark.parametrize(
    "typed, number, reference",
    [
        ("TB202603020000001", "TB202603020000001", None),
        ("tb 2026 0302 0000 001", "TB202603020000001", None),
        ("202603020000001", "TB202603020000001", None),  # the digits of a platform number alone
        ("K0001-7QX2M-000123", None, "K0001-7QX2M-000123"),
        ("k0001-7qx2m-000123", None, "K0001-7QX2M-000123"),
        ("123", None, "K0001-7QX2M-000123"),  # the sequence of this kiosk's reference alone
        ("000123", None, "K0001-7QX2M-000123"),
    ],
)
def test_the_keypad_takes_either_number(typed, number, reference):
    key = typed_key(typed, "K0001-7QX2M")
    assert (key.application_no, key.reference) == (number, reference)


@given(st.text(max_size=40))
def test_typed_key_never_raises_anything_but_a_clear_refusal(text):
    try:
        typed_key(text, "K0001-7QX2M")
    except ProgressQrError:
        pass


def _delivered(zhang, outbox, h):
    app = zhang.start_application(item_code="330199000101020000")
    app.set_form({"phone": "13800138000", "bank_name": "中国银行", "bank_account": "6217000010001234567"})
    app.defer("bank_card")
    sub = zhang.submit(app)
    outbox.start()
    assert outbox.wait_idle(10)
    assert sub.application_no
    return sub


def test_the_receipt_qr_opens_a_masked_progress_page_on_the_simulator(sim, zhang, outbox, h):
    sub = _delivered(zhang, outbox, h)
    # the QR's host is the platform's public one; the simulator serves the same path and query on loopback
    path_and_query = sub.progress_qr.split("zwfw.example.gov.cn", 1)[1]
    page = requests.get(sim.url + path_and_query, timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    text = page.text
    assert sub.application_no in text and "已受理" in text and "承诺办结" in text
    assert "张*" in text and "110105********1239" in text
    assert "张伟" not in text and h.ZHANG[1] not in text
    missing = requests.get(sim.url + "/progress?no=TB209901010000001", timeout=5)
    assert missing.status_code == 404 and "未查询到" in missing.text


def test_a_moved_promise_is_explained(sim, zhang, outbox, services, h):
    sub = _delivered(zhang, outbox, h)
    before = services.lookup_number(sub.application_no).progress
    sim.change_promise(sub.application_no, "2026-04-03", "补正材料期间不计入办理时限")
    after = services.lookup_typed(sub.application_no).progress
    assert after.promised_by == dt.date(2026, 4, 3)
    (change,) = after.promise_changes
    assert (change.old, change.new, change.reason) == (before.promised_by, dt.date(2026, 4, 3),
                                                       "补正材料期间不计入办理时限")  # fmt: skip
    # the kiosk's local reference, typed as its digits, finds the same application
    assert services.lookup_typed(sub.reference.rsplit("-", 1)[1].lstrip("0")).application_no == sub.application_no


def test_kiosk_progress_cli(sim, zhang, outbox, h, tmp_path):
    sub = _delivered(zhang, outbox, h)
    base = [sys.executable, "-m", "kiosk", "progress", "--platform", sim.url, "--token", h.TOKEN,
            "--data-dir", str(outbox.data_dir)]  # fmt: skip
    done = subprocess.run([*base, sub.application_no, "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["state"] == "platform" and answer["status"] == "accepted" and answer["promised_by"]
    by_ref = subprocess.run([*base, sub.reference], capture_output=True, text=True, timeout=60)
    assert by_ref.returncode == 0 and sub.application_no in by_ref.stdout and "承诺办结" in by_ref.stdout
    by_qr = subprocess.run([*base, sub.progress_qr, "--json"], capture_output=True, text=True, timeout=60)
    assert json.loads(by_qr.stdout)["application_no"] == sub.application_no
    unknown = subprocess.run([*base, "TB209901010000009"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 1 and "未查询到" in unknown.stdout
    english = subprocess.run([*base, "TB209901010000009", "--lang", "en"], capture_output=True, text=True, timeout=60)
    assert english.stdout.startswith("No application with this number.")  # the kiosk's words, in English too
    junk = subprocess.run([*base, "hello"], capture_output=True, text=True, timeout=60)
    assert junk.returncode == 1
