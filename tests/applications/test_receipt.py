"""The receipt: masked applicant, statuses, number or local reference, "约", and its QR read back from paper."""

from __future__ import annotations

import dataclasses
import datetime as dt

import cv2
import numpy as np
import pytest

from drivers.printer import PAPER_80, ThermalPrinter, render_text
from drivers.sim.printer import PrinterEmulator
from kiosk.applications import parse_progress_qr, print_receipt, receipt_png
from kiosk.workdays import load_tables

TEMP_RELIEF = "330199000300220000"


@pytest.fixture
def submitted(zhang, h):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    app.set_form({"phone": "13800138000", "address": "示例县人民路1号", "hardship_type": "意外事故",
                  "hardship_detail": "家中突发火灾，房屋和家具烧毁", "family_size": "3", "bank_name": "中国银行",
                  "bank_account": "6217000010001234567"})  # fmt: skip
    app.commit("income_statement", h.PNG)
    app.provide_file("hardship_proof", h.JPEG, "image/jpeg")
    app.defer("bank_card")
    return zhang.submit(app)


def pension(session):
    """城乡居民养老保险待遇申领: 5 promised working days; the bank card deferred."""
    app = session.start_application(item_code="330199000101020000")
    app.set_form({"phone": "13800138000", "bank_name": "中国银行", "bank_account": "6217000010001234567"})
    app.defer("bank_card")
    return app


def text_of(services, sub) -> str:
    return render_text(services.receipt(sub), PAPER_80)


def test_receipt_text_is_masked_and_lists_statuses(services, submitted, h):
    text = text_of(services, submitted)
    assert "张伟" not in text and h.ZHANG[1] not in text
    assert "申请人：张*  110105********1239" in text
    for line in ("【电子证照】申请人身份证件", "【电子证照】居民户口簿", "【告知承诺】家庭收入及财产状况声明",
                 "【已提供】遭遇困难的相关证明", "【待补充】本人银行卡"):  # fmt: skip
        assert line in text.replace("\n", "")
    assert "服务网点：示例县政务服务24小时自助服务区" in text and "终端编号：K0001" in text
    assert "办理机构：北京市朝阳区乡镇（街道）便民服务中心" in text
    assert "受理时间：2026-03-02 10:00" in text
    assert "咨询电话：0571-86010350" in text
    # 10 working days after Monday 2 March 2026, counted by the kiosk: 约 until the platform answers
    assert "承诺办结：约2026年03月16日前（以平台答复为准）" in text


def test_local_reference_until_the_platform_answers(services, outbox, submitted):
    before = text_of(services, submitted)
    assert f"本机受理号：{submitted.reference}" in before and "申请编号" not in before
    assert parse_progress_qr(submitted.progress_qr).reference == submitted.reference
    outbox.start()
    assert outbox.wait_idle(10)
    after = text_of(services, submitted)
    assert f"申请编号：{submitted.application_no}" in after and "本机受理号" not in after
    assert parse_progress_qr(submitted.progress_qr).application_no == submitted.application_no
    # the platform's own promised date, without 约, once it answered
    promised = submitted.platform_promised_by
    assert promised is not None and f"承诺办结：{promised:%Y年%m月%d日}前" in after.replace("\n", "")
    assert "承诺办结：约" not in after


def test_receipt_qr_is_the_configured_https_progress_page(services, submitted):
    assert submitted.progress_qr == f"https://zwfw.example.gov.cn/progress?ref={submitted.reference}"
    assert parse_progress_qr(submitted.progress_qr).reference == submitted.reference


def test_platform_date_wins_over_the_kiosk_count(services, submitted):
    submitted.delivered("TB202603020000001", None, "2026-03-20")
    text = text_of(services, submitted)
    assert "承诺办结：2026年03月20日前" in text and "约" not in text.split("承诺办结：")[1][:3]


def test_approximate_promise_prints_yue(settings, catalog, client, outbox, zhang, h):
    from kiosk.applications import ApplicationOffice

    late = dt.datetime(2027, 1, 25, 10, 0, tzinfo=h.TZ)
    services = ApplicationOffice(settings=settings, catalog=catalog, client=client, outbox=outbox, now=lambda: late)
    session = services.new_session()
    session.verify_card(h.person(*h.ZHANG))
    app = session.start_application(item_code="330199000100210000")  # 社保待遇资格认证: 即办件
    app.set_field("phone", "13800138000")
    sub = session.submit(app)
    assert sub.immediate and "即办件，2027年01月25日前" in text_of(services, sub)
    sub = session.submit(pension(session))
    assert sub.approximate and "承诺办结：约2027年02月01日前" in text_of(services, sub)


def test_spring_festival_2026_counted_exactly(settings, catalog, client, outbox, h):
    from kiosk.applications import ApplicationOffice

    eve = dt.datetime(2026, 2, 13, 16, 0, tzinfo=h.TZ)  # Friday before the 2026 Spring Festival holiday
    services = ApplicationOffice(settings=settings, catalog=catalog, client=client, outbox=outbox, now=lambda: eve)
    session = services.new_session()
    session.verify_card(h.person(*h.ZHANG))
    sub = session.submit(pension(session))
    # 14 Feb (Sat, make-up day) counts; 15–23 Feb holiday; 24, 25, 26, 27 Feb → 27 Feb
    assert (sub.promised_by, sub.approximate) == (dt.date(2026, 2, 27), False)


@pytest.mark.parametrize(
    "tables, approximate",
    [({}, True), ("shipped", True), ({2027: {"holidays": ["2027-02-05..2027-02-11"], "workdays": []}}, False)],
)
def test_into_2027_with_and_without_a_table(settings, catalog, client, outbox, h, tables, approximate):
    from kiosk.applications import ApplicationOffice
    from kiosk.paths import config_dir

    start = dt.datetime(2026, 12, 28, 9, 0, tzinfo=h.TZ)
    tables = load_tables(config_dir() / "holidays") if tables == "shipped" else load_tables(tables)
    services = ApplicationOffice(settings=settings, catalog=catalog, client=client, outbox=outbox,
                                 holiday_tables=tables, now=lambda: start)  # fmt: skip
    session = services.new_session()
    session.verify_card(h.person(*h.ZHANG))
    sub = session.submit(pension(session))
    assert sub.approximate is approximate
    assert "承诺办结：约" in text_of(services, sub)  # offline: the kiosk's count is always marked 约


def decode_qr(png_path) -> str:
    image = cv2.imread(str(png_path), cv2.IMREAD_GRAYSCALE)
    image = cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text


def test_qr_round_trip_through_the_printer_emulator(services, submitted, tmp_path):
    emulator = PrinterEmulator(out_dir=tmp_path, dots=PAPER_80.dots).start()
    printer = ThermalPrinter(emulator.address, paper=PAPER_80)
    printer.open()
    try:
        outcome = print_receipt(printer, services.receipt(submitted), timeout=20)
        assert outcome.printed and outcome.png is None
        job = emulator.wait_for_jobs(1)[-1]
    finally:
        printer.close()
        emulator.stop()
    assert job.qr_payloads == [submitted.progress_qr]
    scanned = decode_qr(job.png)
    assert parse_progress_qr(scanned).reference == submitted.reference
    assert any("申请人：张*" in line for line in job.lines)


def test_failed_print_gives_the_same_receipt_as_png(services, submitted, tmp_path):
    emulator = PrinterEmulator(out_dir=tmp_path, dots=PAPER_80.dots).start()
    emulator.set_fault("paper_out", 0)
    printer = ThermalPrinter(emulator.address, paper=PAPER_80)
    printer.open()
    try:
        outcome = print_receipt(printer, services.receipt(submitted), timeout=10)
    finally:
        printer.close()
        emulator.stop()
    assert not outcome.printed and outcome.code == "paper_out"
    assert outcome.png.startswith(b"\x89PNG")
    picture = cv2.imdecode(np.frombuffer(outcome.png, np.uint8), cv2.IMREAD_GRAYSCALE)
    picture = cv2.copyMakeBorder(picture, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    assert cv2.QRCodeDetector().detectAndDecode(picture)[0] == submitted.progress_qr


def test_no_printer_gives_png(services, submitted):
    outcome = services.print_receipt(submitted)
    assert (outcome.printed, outcome.code) == (False, "no_printer")
    assert outcome.png == receipt_png(services.receipt(submitted))


def test_agent_and_bundle_lines(services, submitted):
    bundle_like = dataclasses.replace(
        submitted, is_bundle=True, title="失业一件事", item_names=("失业登记", "失业保险金申领"),
        agent_name="周*国", agent_id="330199********0021",
    )  # fmt: skip
    text = text_of(services, bundle_like)
    assert "一件事：失业一件事" in text and "· 失业登记" in text and "代办人：周*国  330199********0021" in text


def test_the_office_is_a_name_never_a_division_code(services, submitted, sim):
    """The receipt once read "办理机构 330199 政务服务中心": the platform simulator named an office it did not know
    by its code. It now answers a name (its own list, else the national division table), and the kiosk keeps
    the routed office's name when a platform answers a code anyway."""
    from kiosk.applications.submission import is_office_name

    routed = submitted.office
    assert is_office_name(routed)
    submitted.delivered("TB202603020000001", "330199 政务服务中心", None)
    assert submitted.office == routed and f"办理机构：{routed}" in text_of(services, submitted)
    submitted.delivered("TB202603020000001", "示例县行政服务中心", None)
    assert "办理机构：示例县行政服务中心" in text_of(services, submitted)
    assert sim.handling_org("330199") == "示例县行政服务中心"
    assert sim.handling_org("110105") == "北京市朝阳区政务服务中心"
    assert sim.handling_org("330109") == "浙江省萧山区政务服务中心"  # as the kiosk names it (routing.division_name)
    assert not any(ch.isdigit() for ch in sim.handling_org("990101"))


def test_the_platform_names_the_department_the_resident_was_shown(services, sim):
    """The confirm screen named 示例县司法局 for legal aid, the receipt then 示例县行政服务中心 (the simulated
    platform answered the county's centre for every item): it now answers the item's department when the county
    handles it, and the region's office when another region does (社区通办)."""
    legal_aid = next(code for code, name in sim.departments.items() if name == "示例县司法局")
    benefits = next(code for code, name in sim.departments.items() if name == "示例县人力资源和社会保障局")
    assert sim.handling_org("330199", [legal_aid]) == "示例县司法局"
    assert sim.handling_org("330199", [legal_aid, benefits]) == "示例县司法局、示例县人力资源和社会保障局"
    assert sim.handling_org("110105", [legal_aid]) == "北京市朝阳区政务服务中心"
    assert sim.handling_org("330199", [legal_aid, "330199009999990000"]) == "示例县行政服务中心"  # one unknown item


def test_paper_breaks_lines_between_words_as_the_screen_does(services, submitted):
    """Printed: a Chinese word is never cut at the line's end (书面承 | 诺); the screen's copy carries no marks."""
    from drivers.printer import PAPER_58
    from drivers.printer.layout import WORD_JOINER
    from kiosk.i18n import translator

    step = "请在收到短信通知后凭本回执和书面承诺原件到服务窗口领取办理结果也可以扫码查询办理进度"
    sub = dataclasses.replace(submitted, next_steps=(step,))
    words = ("短信", "通知", "回执", "书面", "承诺", "原件", "服务", "窗口", "领取", "办理", "结果", "查询", "进度")
    for paper in (PAPER_58, PAPER_80):
        lines = render_text(services.receipt(sub), paper).splitlines()
        assert all(any(word in line for line in lines) for word in words), lines
        assert not any(WORD_JOINER in line for line in lines)
    unmarked = render_text(services.receipt(sub, translator("zh_CN")), PAPER_58).splitlines()  # the screen's copy
    assert not all(any(word in line for line in unmarked) for word in words)  # which would have cut one
    from drivers.printer.layout import wrap
    from kiosk.applications.receipt import keep_words

    assert wrap(keep_words("请先作出，承诺；"), 12) == ["请先作出，", "承诺；"]  # a two-character run is a word too
