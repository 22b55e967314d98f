"""The device contract: one completion per command, cancel, timeout, reconnect, status events."""

from __future__ import annotations

import threading
import time

from drivers.contract import CancelToken, Code, Device, DeviceError, DeviceState


class Flaky(Device):
    device_class = "flaky"
    poll_interval = 0.01
    reconnect_initial = 0.01

    def __init__(self) -> None:
        super().__init__()
        self.present = threading.Event()
        self.polls = 0

    def _connect(self) -> None:
        if not self.present.is_set():
            raise DeviceError(Code.DEVICE_NOT_READY, "unplugged")

    def _poll(self) -> None:
        self.polls += 1
        if not self.present.is_set():
            raise DeviceError(Code.DEVICE_NOT_READY, "unplugged")


def wait_for(predicate, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.005)


def test_missing_device_is_a_status_and_is_retried_until_it_appears():
    dev = Flaky()
    events = []
    dev.subscribe(events.append)
    dev.open()
    try:
        wait_for(lambda: dev.status().state is DeviceState.NO_DEVICE)
        assert dev.submit("x", lambda t: 1, timeout=1).result(2).code is Code.DEVICE_NOT_READY
        dev.present.set()
        wait_for(lambda: dev.status().state is DeviceState.ONLINE)
        assert dev.submit("x", lambda t: 41 + 1, timeout=1).result(2).value == 42
        assert any(e.kind == "status" and e.payload["changed"].get("state") == DeviceState.ONLINE for e in events)
        dev.present.clear()
        wait_for(lambda: dev.status().state is DeviceState.NO_DEVICE)
    finally:
        dev.close()
    assert dev.status().state is DeviceState.OFFLINE


def test_every_command_ends_once_with_timeout_cancel_error_or_success():
    dev = Flaky()
    dev.present.set()
    dev.open()
    try:
        def slow(token: CancelToken) -> None:
            while True:
                token.wait(0.01)

        assert dev.submit("slow", slow, timeout=0.05).result(2).code is Code.TIMEOUT
        cmd = dev.submit("slow", slow)
        time.sleep(0.03)
        cmd.cancel()
        assert cmd.result(2).code is Code.CANCELLED

        def bad(token: CancelToken) -> None:
            raise DeviceError(Code.INVALID_DATA, "garbage")

        seen = []
        cmd = dev.submit("bad", bad, timeout=1)
        cmd.add_done_callback(seen.append)
        assert cmd.result(2).code is Code.INVALID_DATA
        assert seen == [cmd.result()]
        assert not cmd._finish(cmd.result())  # a second completion is refused

        def crash(token: CancelToken) -> None:
            raise ZeroDivisionError

        assert dev.submit("crash", crash).result(2).code is Code.HARDWARE_ERROR
        assert dev.counters.snapshot()["failures.invalid_data"] == 1
    finally:
        dev.close()


def test_commands_queued_at_close_are_cancelled_not_lost():
    dev = Flaky()
    dev.present.set()
    dev.open()
    gate = threading.Event()
    first = dev.submit("block", lambda t: gate.wait(5))
    later = [dev.submit("later", lambda t: 1) for _ in range(3)]
    threading.Timer(0.05, gate.set).start()
    dev.close()
    assert first.result(1).ok
    assert all(c.result(1).code in (Code.CANCELLED, Code.SUCCESS) for c in later)


def test_unopened_device_answers_not_ready():
    assert Flaky().submit("x", lambda t: 1).result(0).code is Code.DEVICE_NOT_READY


def test_devices_left_open_are_closed_when_the_interpreter_exits(tmp_path):
    """Cameras left open must not abort the process at exit. Unpaced grab threads sit inside OpenCV's read()
    almost all the time; without the exit hook this aborted with "FATAL: exception not rethrown" in 4 runs of 4."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import time
        from drivers.camera import Camera, CameraConfig
        from drivers.sim.camera import scene_video

        path = scene_video({str(tmp_path)!r}, "face", size=(320, 240), fps=800.0)
        cameras = [Camera(CameraConfig(source=str(path), fps=800.0)) for _ in range(6)]
        for camera in cameras:
            camera.open()
        for _ in range(200):
            if all(camera.status().state == "online" for camera in cameras):
                break
            time.sleep(0.05)
        print("open")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "open"
