"""Printer status replies and the emulator's ESC/POS parser, fed mutated versions of real jobs."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from drivers.contract import DeviceState
from drivers.printer import PAPER_58, PAPER_80, ThermalPrinter
from drivers.printer.escpos_encode import encode_bytes, raster
from drivers.printer.sample import standard_receipt
from drivers.printer.status import PrinterStatus
from drivers.sim.printer import EscPosParseError, EscPosParser, printouts_from_bytes, render
from drivers.sim.printer.printout import PrintHead
from tests.fuzz.mutation import FUZZ, chunks, mutated

JOBS = [encode_bytes(standard_receipt(), PAPER_58), encode_bytes(standard_receipt("TB2", []), PAPER_80),
        raster(Image.new("1", (64, 24), 1), PAPER_58)]  # fmt: skip
jobs = mutated(st.sampled_from(JOBS), max_ops=5)


class ScriptedTransport:
    """Stands in for the socket: answers each DLE EOT with whatever bytes the test chose (or nothing)."""

    can_read = True

    def __init__(self, replies: list[bytes]) -> None:
        self.replies = list(replies)

    def write(self, data: bytes, timeout: float | None = None) -> None:
        pass

    def read(self, timeout: float) -> bytes:
        return self.replies.pop(0) if self.replies else b""

    def drain(self) -> None:
        pass


def status_from(replies: list[bytes]) -> PrinterStatus:
    printer = ThermalPrinter("file:///dev/null", PAPER_58, status_timeout=0.01)
    printer.transport = ScriptedTransport(replies)
    return printer._read_status(None)


@FUZZ
@given(st.lists(st.binary(max_size=6) | st.sampled_from([b"\x12", b"\x16", b"\x1e", b"\x72", b"\x12\x12"]),
                max_size=8))  # fmt: skip
def test_any_status_replies_give_a_status_never_an_exception(replies):
    status = status_from(replies)
    state = status.state()
    fault = status.fault()
    if status.answering is False:  # a printer that does not answer is never taken for one without paper
        assert status.paper == "unknown" and state is DeviceState.NO_DEVICE
    if state is DeviceState.ONLINE and status.paper != "near_end":
        assert fault is None
    status.fields()


@FUZZ
@given(jobs)
def test_strict_parser_raises_only_its_parse_error_on_mutated_jobs(data):
    parser = EscPosParser()
    try:
        parser.feed(data)
        parser.finish()
    except EscPosParseError:
        pass


@FUZZ
@given(jobs, st.lists(st.integers(1, 64), max_size=12))
def test_emulator_prints_whatever_mutated_job_arrives_in_pieces(data, cuts):
    parser = EscPosParser(strict=False)
    head = PrintHead(PAPER_58.dots)
    for piece in chunks(data, cuts):
        for op in parser.feed(piece):
            head.apply(op)
    head.take()


@FUZZ
@given(jobs)
def test_rendering_what_the_head_accepted_never_fails(data):
    printouts, _errors = printouts_from_bytes(data)
    for printout in printouts[:2]:
        picture = render(printout, PAPER_58.dots)
        picture.save(io.BytesIO(), "PNG")


def test_an_empty_raster_image_prints_nothing():
    # found by fuzzing: GS v 0 with a height of 0 made the print head raise PIL's ValueError
    head = PrintHead(PAPER_58.dots)
    for op in EscPosParser(strict=False).feed(b"\x1dv0\x01\x00\x18\x00\x00"):
        head.apply(op)
    head.take()
