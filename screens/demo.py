"""``kiosk demo``: the real app, offscreen, driven through a script of steps; one PNG per step.

Each step acts on the running app (as a resident's touch would), lets a few frames render, then
takes a screenshot. ``journey.json`` records the screens visited, time per step and any errors.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SETTLE_S = 0.4  # frames to render after an action before the screenshot (a scripted wait, not counted)


@dataclass(frozen=True)
class Step:
    name: str
    action: Callable[[object], None]


def home_steps() -> list[Step]:
    return [
        Step("home", lambda app: app.navigate("home")),
        Step("home-en", lambda app: app.core.set_language("en")),
        Step("home-elder", lambda app: (app.core.set_language("zh_CN"), app.core.set_elder_mode(True))),
    ]


class DemoRunner:
    def __init__(self, app, out: Path, steps: list[Step]) -> None:
        self.app = app
        self.out = out
        self.steps = list(steps)
        self.journey: dict = {"steps": [], "errors": [], "screens": []}
        self._started = 0.0

    def start(self, *_args: object) -> None:
        from kivy.clock import Clock

        self._started = time.perf_counter()
        Clock.schedule_once(lambda _dt: self._next(), SETTLE_S)

    def _next(self) -> None:
        from kivy.clock import Clock

        if not self.steps:
            self.journey["total_s_excluding_waits"] = round(
                time.perf_counter() - self._started - SETTLE_S * (len(self.journey["steps"]) + 1), 3
            )
            self.app.stop()
            return
        step = self.steps.pop(0)
        began = time.perf_counter()
        try:
            step.action(self.app)
        except Exception as error:
            log.exception("demo step %s failed", step.name)
            self.journey["errors"].append({"step": step.name, "error": repr(error), "trace": traceback.format_exc()})
        acted = time.perf_counter() - began
        Clock.schedule_once(lambda _dt: self._shoot(step, acted), SETTLE_S)

    def _shoot(self, step: Step, acted_s: float) -> None:
        from kivy.clock import Clock
        from kivy.core.window import Window

        target = self.out / f"{step.name}.png"
        written = Window.screenshot(name=str(self.out / f"{step.name}.png"))
        if written:
            Path(written).replace(target)  # Kivy appends 0001 to the name
        screen = self.app.root.current if self.app.root else None
        record = {"step": step.name, "screen": screen, "png": target.name, "action_s": round(acted_s, 4)}
        self.journey["steps"].append(record)
        if screen not in self.journey["screens"]:
            self.journey["screens"].append(screen)
        Clock.schedule_once(lambda _dt: self._next(), 0)


def run_demo(out: Path, orientation: str, elder: bool, config: Path | None, steps: list[Step] | None = None) -> dict:
    from kiosk.launch import start_core
    from screens.bootstrap import configure

    out.mkdir(parents=True, exist_ok=True)
    core = start_core(config, out / "data")
    core.start_hardware()
    core.set_elder_mode(elder)
    configure((1080, 1920) if orientation == "portrait" else (1920, 1080), fullscreen=False)
    from screens.app import TongbanApp

    app = TongbanApp(core)
    runner = DemoRunner(app, out, steps if steps is not None else home_steps())
    app.bind(on_start=runner.start)
    app.run()
    runner.journey["orientation"] = orientation
    runner.journey["elder"] = elder
    (out / "journey.json").write_text(json.dumps(runner.journey, ensure_ascii=False, indent=2), "utf-8")
    return runner.journey
