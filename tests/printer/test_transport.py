"""Printer URIs, and the serial transport against a pseudo-terminal that answers DLE EOT."""

from __future__ import annotations

import os
import pty
import threading

import pytest

from drivers.contract import Code, DeviceState
from drivers.printer.sample import standard_receipt
from drivers.printer.transport import parse_uri
from drivers.sim.printer import EscPosParser


@pytest.mark.parametrize(("uri", "scheme", "target", "options"), [
    ("tcp://127.0.0.1:9100", "tcp", "127.0.0.1:9100", {}),
    ("tcp://printer.local", "tcp", "printer.local:9100", {}),
    ("serial:///dev/ttyUSB0?baudrate=9600", "serial", "/dev/ttyUSB0", {"baudrate": "9600"}),
    ("usb://0416:5011", "usb", "0416:5011", {}),
    ("file:///tmp/out.bin", "file", "/tmp/out.bin", {}),
])
def test_parse_uri(uri, scheme, target, options):
    parsed = parse_uri(uri)
    assert (parsed.scheme, parsed.target, parsed.options) == (scheme, target, options)


@pytest.mark.parametrize("uri", ["lpt://1", "tcp://", "usb://zz:01", "serial://", "/dev/ttyUSB0"])
def test_bad_uris_are_refused(uri):
    with pytest.raises(ValueError):
        parse_uri(uri)


def test_serial_printer_on_a_pty(make_printer, wait_for):
    controller, worker = pty.openpty()
    os.set_blocking(controller, True)
    import tty

    tty.setraw(worker)
    received = bytearray()
    stop = threading.Event()

    def printer_side() -> None:  # answers every DLE EOT "all fine", keeps the rest
        parser = EscPosParser(strict=False)
        while not stop.is_set():
            try:
                data = os.read(controller, 4096)
            except OSError:
                return
            received.extend(data)
            for op in parser.feed(data):
                if op.name == "status_request":
                    os.write(controller, b"\x12")

    thread = threading.Thread(target=printer_side, daemon=True)
    thread.start()
    dev = make_printer(f"serial://{os.ttyname(worker)}?baudrate=115200")
    dev.open()
    try:
        wait_for(lambda: dev.status().state is DeviceState.ONLINE)
        assert dev.status().fields["paper"] == "ok"
        done = dev.print_receipt(standard_receipt(), timeout=20).result(25)
        assert done.ok, done.detail
        wait_for(lambda: b"\x1d\x56\x01" in received)
    finally:
        dev.close()
        stop.set()
        os.close(controller)
        os.close(worker)
    assert b"\x1c\x26" in received


def test_missing_serial_port_is_no_device(make_printer, wait_for):
    dev = make_printer("serial:///dev/does-not-exist")
    dev.open()
    try:
        wait_for(lambda: dev.status().state is DeviceState.NO_DEVICE)
        assert dev.print_receipt(standard_receipt(), timeout=1).result(5).code is Code.DEVICE_NOT_READY
    finally:
        dev.close()
