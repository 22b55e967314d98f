"""Fixtures: a running printer emulator, and a driver connected to it with test-speed polling and back-off."""

from __future__ import annotations

import time

import pytest

from drivers.printer import ThermalPrinter
from drivers.sim.printer import PrinterEmulator


def wait_for(predicate, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


@pytest.fixture
def emulator(tmp_path):
    emu = PrinterEmulator(out_dir=tmp_path / "paper")
    emu.start()
    yield emu
    emu.stop()


def _make_printer(address: str, **kwargs) -> ThermalPrinter:
    printer = ThermalPrinter(address, status_timeout=0.3, **kwargs)
    printer.poll_interval = 0.1
    printer.reconnect_initial = printer._backoff = 0.05
    printer.reconnect_max = 0.2
    return printer


@pytest.fixture
def printer(emulator):
    dev = _make_printer(emulator.address)
    dev.open()
    wait_for(lambda: dev.status().state.value == "online")
    yield dev
    dev.close()


@pytest.fixture(name="wait_for")
def wait_for_fixture():
    return wait_for


@pytest.fixture
def make_printer():
    """A driver with test-speed polling and back-off (not opened)."""
    return _make_printer
