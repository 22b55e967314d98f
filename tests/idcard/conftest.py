"""Fixtures for the ID-card tests: a simulator on a pty and readers tuned for short test runs."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drivers.contract import DeviceEvent
from drivers.idcard import IdCardReader
from drivers.sim.idcard import IdCardSimulator

# Generous timeouts: the CI machine is shared, and no test asserts a timing.
FAST = {"poll_interval": 0.02, "find_timeout": 0.3, "select_timeout": 0.3, "read_timeout": 0.8}


class Events:
    """Collects a device's events; ``next(kind)`` waits for the next one of a kind."""

    def __init__(self) -> None:
        self.all: list[DeviceEvent] = []
        self._queue: queue.Queue[DeviceEvent] = queue.Queue()

    def __call__(self, event: DeviceEvent) -> None:
        self.all.append(event)
        self._queue.put(event)

    def next(self, *kinds: str, timeout: float = 5.0) -> DeviceEvent:
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            assert left > 0, f"no {kinds} event; saw {[e.kind for e in self.all]}"
            try:
                event = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if event.kind in kinds:
                return event

    def kinds(self) -> list[str]:
        return [e.kind for e in self.all if e.kind != "status"]


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.005)


@pytest.fixture
def wait_until() -> Callable[..., None]:
    return wait_for


@pytest.fixture
def sim() -> Iterator[IdCardSimulator]:
    simulator = IdCardSimulator(baud=115200).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def make_reader(sim: IdCardSimulator) -> Iterator[Callable[..., tuple[IdCardReader, Events]]]:
    """``make_reader(**options)`` → an opened reader on the sim's pty (online) and its event log."""
    readers: list[IdCardReader] = []

    def make(wait_online: bool = True, **options: Any) -> tuple[IdCardReader, Events]:
        reader = IdCardReader(sim.port, sim.baud, **{**FAST, **options})
        reader.reconnect_initial, reader.reconnect_max = 0.05, 0.2
        events = Events()
        reader.subscribe(events)
        readers.append(reader)
        reader.open()
        if wait_online:
            wait_for(lambda: reader.status().state == "online")
        return reader, events

    yield make
    for reader in readers:
        reader.close()
