"""Touches and characters typed from the home screen to the receipt, for the demo's resident journeys.

The real app runs offscreen on every simulator (as ``kiosk demo``) and the scripted residents of
``screens.demo`` walk two journeys; every touch the script makes is counted where the resident's finger would
land — a button press, a key, a candidate, a field, a list row, a face, a material's action, a signature — and
every character typed (letters on the search and form keyboards, digits on the digit pad). Cards placed on the
reader and faces shown to the camera are not touches.

- legal_aid: 法律援助申请 (the demo): ID card as an e-certificate, case papers photographed, a signed commitment,
  a form with phone, address, case type and a description.
- ecert_only: 个人所得税纳税记录开具: every material fetched as an e-certificate; the form asks only the year.
  Target ≤ 25 touches (issue 18).

Run: PYTHONPATH=. SDL_VIDEODRIVER=offscreen python bench/ux.py [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ["KIVY_NO_ARGS"] = "1"
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tongban-bench-kivy-"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ECERT_ITEM = "330199001200510000"  # 个人所得税纳税记录开具: the ID card is its only material, an e-certificate
ECERT_QUERY = "grsds"  # 个人所得税, by initials
TOUCH_TARGET = 25


@dataclass
class Tally:
    """Touches and characters of one journey, home to receipt."""

    touches: int = 0
    characters: int = 0
    log: list[str] = field(default_factory=list)


@dataclass
class Counter:
    """Where a touch is counted: the journey being measured now (None between them)."""

    current: Tally | None = None

    def touch(self, what: str, typed: int = 0) -> None:
        if self.current is not None:
            self.current.touches += 1
            self.current.characters += typed
            self.current.log.append(what)


def count(counter: Counter) -> None:
    """Count every touch the demo's scripts make: wrap the entry points a finger reaches."""
    import screens.demo as demo
    from screens.evaluate import EvaluateScreen
    from screens.form import FormScreen
    from screens.keyboard import ChineseKeyboard
    from screens.materials import MaterialsScreen
    from screens.search import SearchScreen

    def wrap(owner, name: str, what: str, typed: Callable[..., int] = lambda *_a: 0) -> None:
        original = getattr(owner, name)

        def counted(*args, **kwargs):
            counter.touch(what, typed(*args))
            return original(*args, **kwargs)

        setattr(owner, name, counted)

    wrap(demo, "_press", "button")
    wrap(demo, "_sign", "signature")
    wrap(SearchScreen, "on_key", "search key", lambda _self, key: int(len(key) == 1))
    wrap(SearchScreen, "choose", "result row")
    wrap(ChineseKeyboard, "on_letter", "form key", lambda _self, key: int(len(key) == 1))
    wrap(FormScreen, "on_digit", "digit key", lambda _self, key: int(len(key) == 1))
    wrap(ChineseKeyboard, "pick", "candidate")
    wrap(FormScreen, "focus", "field")
    entering = FormScreen.on_pre_enter

    def on_pre_enter(self, *args):  # the form focuses its first empty field itself: not a touch
        current, counter.current = counter.current, None
        try:
            return entering(self, *args)
        finally:
            counter.current = current

    FormScreen.on_pre_enter = on_pre_enter
    wrap(MaterialsScreen, "act", "material action")
    wrap(EvaluateScreen, "pick", "face")
    wrap(EvaluateScreen, "toggle_reason", "reason")


def ecert_steps(hardware, card, record: dict) -> list:
    """Home → search by initials → the item → guide → ID card → face → materials (all e-certificates) → form
    (the year) → confirm → receipt."""
    from screens.demo import Step, _fill_form, _press, _screen, scene_step

    def search(app):
        _press(_screen(app, "home").ids.search)
        screen = _screen(app, "search")
        for letter in ECERT_QUERY:
            screen.on_key(letter)

    def place_card(app):
        _press(_screen(app, "identify").ids.idcard)
        hardware.sims.idcard.place(card)

    def fill(app) -> None:
        """What the resident enters: the year on the digit pad (2024), a phone if asked, the first of a choice."""
        if app.root.current != "form":
            return
        _fill_form(app, "13800138000", number="2024")
        _press(_screen(app, "form").ids.next)

    def received(app) -> bool:
        receipt = _screen(app, "receipt")
        record["receipt"] = receipt.state
        return receipt.state in ("printed", "on_screen")

    return [
        scene_step("face-scene", hardware, "face"),
        Step("home", lambda app: app.navigate("home"), shoot=False),
        Step("search", search, shoot=False),
        Step("guide", lambda app: _screen(app, "search").choose("item", ECERT_ITEM), shoot=False),
        Step("identify", lambda app: _press(_screen(app, "guide").ids.apply), shoot=False),
        Step("card", place_card, until=lambda app: app.root.current == "materials", timeout=60, shoot=False),
        Step("materials", lambda app: _press(_screen(app, "materials").ids.proceed),
             until=lambda app: app.root.current in ("form", "confirm"), shoot=False),
        Step("form", fill, until=lambda app: app.root.current == "confirm", shoot=False),
        Step("submit", lambda app: _press(_screen(app, "confirm").ids.submit), until=received, timeout=60,
             shoot=False),
    ]


def measure() -> dict[str, dict]:
    from kiosk.launch import start_core
    from screens.bootstrap import configure
    from screens.demo import DEMO_PHONE, DemoRunner, Step, demo_card, resident_steps, run_steps

    core = start_core(None, Path(tempfile.mkdtemp(prefix="tongban-bench-ux-")))
    hardware = core.start_hardware()
    configure((1080, 1920), fullscreen=False)
    from screens.app import TongbanApp

    app = TongbanApp(core)
    app.muted = True
    tallies = {"legal_aid": Tally(), "ecert_only": Tally()}
    records: dict[str, dict] = {"legal_aid": {}, "ecert_only": {}}
    counter = Counter()
    count(counter)

    def start(name: str) -> Step:
        return Step(f"count {name}", lambda _app: setattr(counter, "current", tallies[name]), shoot=False)

    def stop(_app) -> None:
        counter.current = None

    def end_session(app) -> None:
        hardware.sims.idcard.remove()
        app.cancel_session()

    legal = resident_steps(hardware, demo_card(), DEMO_PHONE, records["legal_aid"])
    receipt_at = next(i for i, s in enumerate(legal) if s.name == "17-receipt") + 1
    home_at = next(i for i, s in enumerate(legal) if s.name == "01-home") + 1
    steps = [*legal[:home_at], start("legal_aid"), *legal[home_at:receipt_at], Step("stop", stop, shoot=False),
             *legal[receipt_at:],
             start("ecert_only"), *ecert_steps(hardware, demo_card(), records["ecert_only"]),
             Step("stop", stop, shoot=False), Step("end", end_session, shoot=False)]
    runner = DemoRunner(app, None, steps, settle_s=0.0)
    run_steps(app, core, runner)
    if runner.journey["errors"]:
        raise SystemExit(f"journey failed: {runner.journey['errors']}")
    return {name: {"touches": t.touches, "characters": t.characters, "receipt": records[name].get("receipt"),
                   "log": t.log} for name, t in tallies.items()}


def main() -> int:
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__  # Kivy's app run leaves its own streams behind
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = measure()
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    figures = []
    for name, result in results.items():
        print(f"{name}: {result['touches']} touches, {result['characters']} characters typed "
              f"(receipt {result['receipt']})")
        figures.append({"name": f"{name} touches home→receipt", "value": result["touches"], "unit": "touches",
                        "target": f"<= {TOUCH_TARGET}" if name == "ecert_only" else None})
        figures.append({"name": f"{name} characters typed home→receipt", "value": result["characters"],
                        "unit": "characters", "target": None})
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), "utf-8")
    return 0 if all(r["receipt"] in ("printed", "on_screen") for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
