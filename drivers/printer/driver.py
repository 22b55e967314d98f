"""The thermal receipt printer as a device: status before, during and after every job; nothing dropped silently.

A job is sent segment by segment (one text line, a QR code, the logo, the cut). Status is read before the first
segment, after each one, and at the end, so a printer that runs out of paper part-way fails the job with PAPER_OUT
and the report says how much reached the printer. A printer that stops answering is reconnected in the background
(a power cycle closes its TCP connection or USB device), with the contract's back-off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from drivers.contract import CancelToken, Code, Command, CommandTimedOut, Device, DeviceError, DeviceState
from drivers.printer import status as st
from drivers.printer.document import Receipt
from drivers.printer.escpos_encode import Segment, encode
from drivers.printer.layout import DOTS_PER_MM, PAPER_58, Paper
from drivers.printer.transport import PrinterUri, Transport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobReport:
    """What a job did: on failure, how far it got before the printer said no."""

    code: Code
    detail: str
    lines_total: int
    lines_sent: int  # text lines written to the printer
    lines_confirmed: int  # text lines followed by a clean status reply: printed
    bytes_total: int
    bytes_sent: int
    paper_mm: float  # paper used by the confirmed part

    def summary(self) -> str:
        return (f"{self.lines_confirmed} of {self.lines_total} lines printed, "
                f"{self.bytes_sent} of {self.bytes_total} bytes sent")


class PrintJobFailed(DeviceError):
    def __init__(self, code: Code, detail: str, report: JobReport) -> None:
        super().__init__(code, f"{detail}; {report.summary()}")
        self.report = report


class ThermalPrinter(Device):
    """An ESC/POS receipt printer with Chinese text. ``print_receipt`` returns a command whose completion value is
    the :class:`JobReport`; a failed job's report is also in ``last_job`` and in a ``job_failed`` event."""

    device_class = "printer"
    poll_interval = 2.0

    def __init__(self, uri: str | PrinterUri, paper: Paper = PAPER_58, name: str | None = None,
                 status_timeout: float = 0.5, write_timeout: float = 10.0) -> None:
        super().__init__(name)
        self.transport = Transport(uri, write_timeout=write_timeout)
        self.paper = paper
        self.status_timeout = status_timeout
        self.printer_status: st.PrinterStatus = st.PrinterStatus.unreadable()
        self.last_job: JobReport | None = None

    def capabilities(self) -> dict[str, Any]:
        return {"paper_mm": self.paper.mm, "dots": self.paper.dots, "columns": self.paper.columns,
                "chinese": True, "qr": True, "cutter": True, "status": self.transport.can_read}

    # -- commands ---------------------------------------------------------------------------------------------------
    def print_receipt(self, receipt: Receipt, timeout: float = 30.0) -> Command:
        segments = encode(receipt, self.paper)  # encoding errors surface to the caller, before anything is queued
        return self.submit("print", lambda token: self._job(segments, token), timeout)

    def print_segments(self, segments: list[Segment], timeout: float = 30.0) -> Command:
        return self.submit("print", lambda token: self._job(segments, token), timeout)

    def refresh_status(self, timeout: float = 5.0) -> Command:
        """Read the status now; the completion value is the :class:`~drivers.printer.status.PrinterStatus`."""
        return self.submit("status", lambda token: self._update_status(token), timeout)

    # -- device contract --------------------------------------------------------------------------------------------
    def _connect(self) -> None:
        self.transport.open()
        if self.transport.can_read:
            status = self._read_status(None)
            if not status.answering:
                self.transport.close()
                raise DeviceError(Code.DEVICE_NOT_READY, "printer does not answer DLE EOT")
            self.printer_status = status

    def _try_connect(self) -> None:
        super()._try_connect()
        if self._connected:  # the base marks a fresh connection ONLINE; say what the printer really reported
            self._publish(self.printer_status)

    def _disconnect(self) -> None:
        self.transport.close()

    def _poll(self) -> None:
        self._update_status(None)

    # -- status -----------------------------------------------------------------------------------------------------
    def _ask(self, n: int, token: CancelToken | None) -> int | None:
        self.transport.write(st.query(n), timeout=self._wait(token))
        wait = self._wait(token)
        while True:
            data = self.transport.read(wait)
            if not data:
                return None
            # a garbage byte is skipped; the status byte is the last valid one (older replies were drained)
            valid = [b for b in data if st.is_status_byte(b)]
            if valid:
                return valid[-1]
            wait = min(wait, 0.05)

    def _wait(self, token: CancelToken | None) -> float:
        return self.status_timeout if token is None else token.remaining(self.status_timeout) or 0.0

    def _read_status(self, token: CancelToken | None) -> st.PrinterStatus:
        if not self.transport.can_read:
            return st.PrinterStatus.unreadable()
        self.transport.drain()
        eot1 = self._ask(1, token)
        eot2 = self._ask(2, token) if eot1 is not None else None
        eot4 = self._ask(4, token) if eot2 is not None else None
        if eot1 is None or eot2 is None or eot4 is None:
            if token is not None:
                token.check()  # out of time is a timeout, not a missing printer
            return st.PrinterStatus.no_answer()
        eot3 = self._ask(3, token) if st.decode_offline(eot2)["error"] else None
        return st.PrinterStatus.from_replies(eot1, eot2, eot4, eot3)

    def _publish(self, status: st.PrinterStatus) -> None:
        self.printer_status = status
        fault = status.fault()
        self._set_status(status.state(), detail=fault[1] if fault else "", **status.fields())

    def _update_status(self, token: CancelToken | None) -> st.PrinterStatus:
        status = self._read_status(token)
        self._publish(status)
        if not status.answering and status.answering is not None:
            raise DeviceError(Code.DEVICE_NOT_READY, "printer does not answer DLE EOT")
        return status

    # -- jobs -------------------------------------------------------------------------------------------------------
    def _job(self, segments: list[Segment], token: CancelToken) -> JobReport:
        totals = (sum(s.lines for s in segments), sum(len(s.data) for s in segments))
        progress = {"lines_sent": 0, "lines_confirmed": 0, "bytes_sent": 0, "dots": 0}

        def report(code: Code, detail: str) -> JobReport:
            return JobReport(code, detail, totals[0], progress["lines_sent"], progress["lines_confirmed"], totals[1],
                             progress["bytes_sent"], progress["dots"] / DOTS_PER_MM)

        def check() -> st.PrinterStatus:
            status = self._read_status(token)
            fault = status.fault()
            if fault is not None:
                self._publish(status)
                raise PrintJobFailed(*fault, report(*fault))
            return status

        try:
            status = check()
            self._set_status(DeviceState.BUSY, detail="printing")
            for segment in segments:
                token.check()
                self.transport.write(segment.data, timeout=token.remaining(self.transport.write_timeout))
                progress["lines_sent"] += segment.lines
                progress["bytes_sent"] += len(segment.data)
                if self.transport.can_read:
                    status = check()
                progress["lines_confirmed"] += segment.lines
                progress["dots"] += segment.dots
        except PrintJobFailed as failure:
            self._fail(failure.report)
            raise
        except DeviceError as error:
            failed = report(error.code, error.detail)
            self._fail(failed)
            if isinstance(error, CommandTimedOut) or error.code is Code.TIMEOUT:
                self._drop_connection(error)  # replies may still be in flight: start clean on the next job
            raise PrintJobFailed(error.code, error.detail, failed) from None
        self._publish(status)
        done = report(Code.SUCCESS, "printed")
        self.last_job = done
        self.counters.add("receipts_printed")
        self.counters.add("paper_mm", round(done.paper_mm))
        self.counters.add("bytes_sent", done.bytes_sent)
        return done

    def _fail(self, report: JobReport) -> None:
        self.last_job = report
        self.counters.add("paper_mm", round(report.paper_mm))
        log.warning("print job failed: %s: %s; %s", report.code, report.detail, report.summary())
        self._emit("job_failed", code=str(report.code), detail=report.detail, report=report)

    def _drop_connection(self, error: DeviceError) -> None:
        self.transport.close()
        self._connected = False
        self._next_connect = 0.0
        self._set_status(DeviceState.OFFLINE, detail=f"reconnecting after {error.code}")
