"""Test-wide setup: Kivy offscreen in a private KIVY_HOME, before anything imports Kivy.

UI tests use the session-wide ``kiosk_app`` fixture: the real TongbanApp, started once in this process
(Kivy has one Window per process) at 1080×1920, driven by ``tick`` and ``tap``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_KIVY_HOME = tempfile.mkdtemp(prefix="tongban-kivy-")
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ["KIVY_NO_CONSOLELOG"] = "1"
os.environ["KIVY_NO_ARGS"] = "1"
os.environ.setdefault("KIVY_HOME", _KIVY_HOME)


class UiDriver:
    """Drives the running app like a resident would: real touches through the Window."""

    def __init__(self, app) -> None:
        self.app = app

    def tick(self, frames: int = 3) -> None:
        from kivy.base import EventLoop

        for _ in range(frames):
            EventLoop.idle()

    def tap(self, widget) -> None:
        from kivy.tests.common import UnitTestTouch

        x, y = widget.to_window(*widget.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.tick(1)
        touch.touch_up()
        self.tick(2)

    def screen(self, name: str | None = None):
        manager = self.app.root
        return manager.get_screen(name) if name else manager.current_screen


@pytest.fixture(scope="session")
def kiosk_app(tmp_path_factory):
    from kiosk.launch import start_core
    from screens.bootstrap import configure

    data = tmp_path_factory.mktemp("kiosk-data")
    core = start_core(None, Path(data))
    configure((1080, 1920), fullscreen=False)
    from kivy.base import EventLoop

    from screens.app import TongbanApp

    app = TongbanApp(core)
    app._run_prepare()  # what App.run does before entering the loop: build, show, on_start
    driver = UiDriver(app)
    driver.tick(5)
    yield driver
    app.stop()
    EventLoop.close()
    shutil.rmtree(_KIVY_HOME, ignore_errors=True)
