"""The core owns what runs, once: a second hardware start does not replace the running hardware, hardware that
started but could not be put to use is stopped, and a session cannot start between the "no session" check and a
configuration change applying (interleavings forced with events: the change is held inside its window while a
resident's touch arrives)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import kiosk.config
import kiosk.core
from kiosk.hardware import Hardware
from kiosk.journey import Journey
from kiosk.launch import start_core

WAIT_S = 30.0  # a bound for a failing run, never a pause: every wait below ends on an event


class TracingGate:
    """The core's gate as the journey sees it: says when a session start reaches it, then waits its turn."""

    def __init__(self, gate: Any) -> None:
        self.gate = gate
        self.reached = threading.Event()

    def __enter__(self) -> object:
        self.reached.set()
        return self.gate.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.gate.__exit__(*exc)


def _site(tmp_path: Path, text: str = "") -> Path:
    site = tmp_path / "site.toml"
    site.write_text(text, "utf-8")
    return site


def test_a_second_hardware_start_returns_the_running_hardware(tmp_path: Path) -> None:
    core = start_core(_site(tmp_path), tmp_path / "data")
    changes: list[Hardware | None] = []
    core.hardware_changed.connect(changes.append)
    try:
        first = core.start_hardware()
        assert core.start_hardware() is first and core.hardware is first
        assert changes == [first]  # nobody re-attached to a second set of devices
        assert first.devices["printer"].status().state != "offline"
    finally:
        core.close()
    assert not first._stops  # the one set that ran was stopped by the close


def test_hardware_that_started_but_could_not_be_put_to_use_is_stopped(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Hardware] = []
    real_start = Hardware.start

    def recording_start(*args: Any, **kwargs: Any) -> Hardware:
        started.append(real_start(*args, **kwargs))
        return started[-1]

    def failing_office(*_args: Any) -> None:
        raise RuntimeError("the office could not be built")

    monkeypatch.setattr(Hardware, "start", recording_start)
    monkeypatch.setattr(kiosk.core, "office_for", failing_office)
    core = start_core(_site(tmp_path), tmp_path / "data")
    try:
        with pytest.raises(RuntimeError, match="office could not be built"):
            core.start_hardware()
        assert len(started) == 1 and core.hardware is None and core.office is None
        assert not started[0]._stops  # devices, simulators, platform and outbox: all stopped, none left running
        assert not core.journey._devices  # the journey holds none of them
    finally:
        core.close()


def test_a_touch_during_a_site_file_change_waits_for_it_to_apply(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path, "[idle]\ntimeout_s = 100\n")
    core = start_core(site, tmp_path / "data")
    gate = core.journey._gate = TracingGate(core.journey._gate)
    inside, go = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}
    real_load = kiosk.config.load_settings

    def held_load(*args: Any, **kwargs: Any) -> Any:  # the change, past its "no session" check
        inside.set()
        assert go.wait(WAIT_S)
        seen["session while applying"] = core.session_active
        return real_load(*args, **kwargs)

    monkeypatch.setattr(kiosk.config, "load_settings", held_load)
    site.write_text("[idle]\ntimeout_s = 120\n", "utf-8")
    change = threading.Thread(target=core.check_site_file)
    touch = threading.Thread(target=core.journey.begin, args=("touch",))
    try:
        change.start()
        assert inside.wait(WAIT_S)
        touch.start()  # a resident touches inside the window
        assert gate.reached.wait(WAIT_S)
        go.set()
        change.join(WAIT_S)
        touch.join(WAIT_S)
        assert seen == {"session while applying": False}  # the change did not apply under the resident
        assert core.session_active and core.settings.idle.timeout_s == 120
    finally:
        go.set()
        core.close()


def test_a_touch_during_a_fleet_activation_waits_for_it_to_apply(fleet: Any) -> None:
    lock = threading.RLock()
    journey = Journey(None, lambda *_a, **_k: None, gate=lock)
    gate = journey._gate = TracingGate(lock)
    inside, go = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def held_activation(_bundle: Any) -> None:  # the core's on_applied: reload and restart, past the check
        inside.set()
        assert go.wait(WAIT_S)
        seen["session while applying"] = journey.active

    updater = fleet.kiosk(session_active=lambda: journey.active, gate=lock, on_applied=held_activation)
    fleet.publish(1, "[idle]\ntimeout_s = 250\n")
    results: list[Any] = []
    poll = threading.Thread(target=lambda: results.append(updater.poll_once()))
    touch = threading.Thread(target=journey.begin, args=("card",))
    try:
        poll.start()
        assert inside.wait(WAIT_S)
        touch.start()
        assert gate.reached.wait(WAIT_S)
        go.set()
        poll.join(WAIT_S)
        touch.join(WAIT_S)
        assert results[0].outcome == "applied" and seen == {"session while applying": False}
        assert journey.active and fleet.running() == 1
    finally:
        go.set()
