"""Driver → loopback TCP → emulator: the printed lines come back decoded, and the QR in the PNG scans."""

from __future__ import annotations

import time

import cv2
import pytest
from PIL import Image

from drivers.printer import PAPER_80, QR, Receipt, Section, Text
from drivers.printer.escpos_encode import encode_bytes
from drivers.printer.preview import render_png
from drivers.printer.sample import standard_receipt
from drivers.sim.printer import PrinterEmulator, printouts_from_bytes


def scan(path) -> str:
    data, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(path)))
    return data


def test_standard_receipt_round_trip(printer, emulator):
    done = printer.print_receipt(standard_receipt("TB20240601-000123"), timeout=20).result(25)
    assert done.ok, done.detail
    job = emulator.wait_for_jobs(1)[0]
    assert job.complete and job.fault is None and not job.errors and job.auto_wraps == 0
    assert "通办 受理回执" in job.lines
    assert "申请人：张*明" in job.lines
    assert "证件号码：110101********1234" in job.lines
    assert "收费：￥20.00" in job.lines
    assert job.qr_payloads == ["https://tb.gov.cn/q/TB20240601-000123"]
    assert scan(job.png) == "https://tb.gov.cn/q/TB20240601-000123"
    report = done.value
    assert report.lines_confirmed == report.lines_total == len([ln for ln in job.lines])
    assert report.bytes_sent == report.bytes_total < 2048
    counters = printer.counters.snapshot()
    assert counters["receipts_printed"] == 1 and counters["paper_mm"] > 50


def test_80mm_paper_and_logo(tmp_path, make_printer):
    logo = Image.new("L", (200, 60), 255)
    logo.paste(0, (10, 10, 190, 50))
    blocks = [Text("这是一行很长的中文说明文字，用来检查八十毫米纸宽的折行是否正确。"), QR("TB-80", module=8, ec="H")]
    receipt = Receipt("八十毫米回执", [Section("说明", blocks)], logo=logo)
    with PrinterEmulator(out_dir=tmp_path, dots=PAPER_80.dots) as emu:
        dev = make_printer(emu.address, paper=PAPER_80)
        dev.open()
        try:
            assert dev.print_receipt(receipt, timeout=20).result(25).ok
            job = emu.wait_for_jobs(1)[0]
        finally:
            dev.close()
    assert job.auto_wraps == 0 and not job.errors
    assert job.lines[3:5] == ["这是一行很长的中文说明文字，用来检查八十毫米纸宽", "的折行是否正确。"]  # 48 columns
    assert scan(job.png) == "TB-80"
    bitmaps = [e for e in job.printout.elements if type(e).__name__ == "Bitmap"]
    assert len(bitmaps) == 1 and bitmaps[0].image.getbbox() is not None


def test_file_transport_bytes_replay_through_the_emulator_parser(tmp_path, make_printer, wait_for):
    out = tmp_path / "out.bin"
    dev = make_printer(f"file://{out}")
    dev.open()
    try:
        wait_for(lambda: dev.status().state.value == "online")
        assert dev.capabilities()["status"] is False
        assert dev.print_receipt(standard_receipt(), timeout=10).result(15).ok
    finally:
        dev.close()
    assert out.read_bytes() == encode_bytes(standard_receipt(), dev.paper)
    printouts, errors = printouts_from_bytes(out.read_bytes())
    assert not errors and len(printouts) == 1
    assert "申请编号：TB20240601-000123" in printouts[0].lines


@pytest.mark.parametrize("paper", ["58", "80"])
def test_preview_png_matches_layout_and_scans(tmp_path, paper):
    from drivers.printer import paper_named

    image = render_png(standard_receipt(), paper_named(paper), tmp_path / "preview.png")
    assert image.width == paper_named(paper).dots + 48
    assert scan(tmp_path / "preview.png") == "https://tb.gov.cn/q/TB20240601-000123"


def test_a_slow_picture_never_delays_the_printers_answers(printer, emulator, monkeypatch):
    """The emulator draws its picture of the paper off the wire: a loaded machine once made the driver time
    out on DLE EOT (status timeout 0.3 s here) after a job that had printed in full."""
    from drivers.sim.printer import emulator as module

    drawn = module.render

    def slow_render(*args, **kwargs):
        time.sleep(1.5)
        return drawn(*args, **kwargs)

    monkeypatch.setattr(module, "render", slow_render)
    first = printer.print_receipt(standard_receipt("TB20240601-000001"), timeout=20).result(25)
    second = printer.print_receipt(standard_receipt("TB20240601-000002"), timeout=20).result(25)
    assert first.ok and second.ok, (first.detail, second.detail)
    jobs = emulator.wait_for_jobs(2, timeout=10)
    assert [j.index for j in jobs] == [1, 2]  # listed in print order, each once its picture is on disk
    assert all(j.png is not None and j.png.is_file() for j in jobs)


def test_the_next_job_is_counted_on_the_wire_not_by_pictures(printer, emulator, monkeypatch):
    """``finished`` counts a job as soon as it left the wire, while ``jobs`` lists it once drawn: counting the
    list made a recovery test take the previous job, still being drawn, for the new one (a CI failure)."""
    from drivers.sim.printer import emulator as module

    drawn = module.render

    def slow_render(*args, **kwargs):
        time.sleep(2.0)
        return drawn(*args, **kwargs)

    monkeypatch.setattr(module, "render", slow_render)
    assert printer.print_receipt(standard_receipt("TB20240601-000001"), timeout=20).result(25).ok
    assert emulator.finished == 1 and emulator.jobs == []  # printed, picture still being drawn
    assert printer.print_receipt(standard_receipt("TB20240601-000002"), timeout=20).result(25).ok
    job = emulator.wait_for_job(emulator.finished, timeout=15)
    assert job.index == 2 and any("TB20240601-000002" in line for line in job.lines)
    with pytest.raises(TimeoutError, match="job 3 not printed"):
        emulator.wait_for_job(3, timeout=0.2)
