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
    """An action on the running app, then (optionally) a condition to wait for before the screenshot."""

    name: str
    action: Callable[[object], None]
    until: Callable[[object], bool] | None = None
    timeout: float = 30.0
    shoot: bool = True


def home_steps() -> list[Step]:
    return [
        Step("home", lambda app: app.navigate("home")),
        Step("home-en", lambda app: app.core.set_language("en")),
        Step("home-elder", lambda app: (app.core.set_language("zh_CN"), app.core.set_elder_mode(True))),
    ]


class DemoRunner:
    """Runs steps one after another on the Kivy clock: act, wait for the step's condition (polled), let the
    screen transition end, take the picture (when ``out`` is given and the step shoots), then the next step.

    ``settle_s`` is the scripted pause after each action so a picture shows settled frames; a soak passes 0.
    Subclasses hook in through ``failed`` (a step raised or timed out), ``record`` and ``finished``."""

    def __init__(self, app, out: Path | None, steps: list[Step], settle_s: float = SETTLE_S) -> None:
        self.app = app
        self.out = out
        self.steps = list(steps)
        self.settle_s = settle_s
        self.journey: dict = {"steps": [], "errors": [], "screens": []}
        self._started = 0.0

    def start(self, *_args: object) -> None:
        from kivy.clock import Clock

        self._started = time.perf_counter()
        Clock.schedule_once(lambda _dt: self._next(), self.settle_s)

    def finished(self) -> None:
        """No steps left: the app stops (``app.run()`` returns)."""
        shots = sum(1 for s in self.journey["steps"] if s["png"])
        self.journey["total_s_excluding_waits"] = round(
            time.perf_counter() - self._started - self.settle_s * (shots + 1), 3
        )
        self.app.stop()

    def failed(self, step: Step, error: str, trace: str | None = None) -> None:
        """A step's action or condition raised, or its condition did not hold in time."""
        entry = {"step": step.name, "error": error}
        if trace:
            entry["trace"] = trace
        self.journey["errors"].append(entry)

    def _next(self) -> None:
        from kivy.clock import Clock

        if not self.steps:
            self.finished()
            return
        step = self.steps.pop(0)
        began = time.perf_counter()
        try:
            step.action(self.app)
        except Exception as error:
            log.exception("demo step %s failed", step.name)
            self.failed(step, repr(error), traceback.format_exc())
            acted = time.perf_counter() - began
            Clock.schedule_once(lambda _dt: self._settled(step, acted, 0.0), self.settle_s)
            return  # its condition would only time out
        acted = time.perf_counter() - began
        if step.until is None:
            Clock.schedule_once(lambda _dt: self._settled(step, acted, 0.0), self.settle_s)
        else:
            self._wait(step, acted, time.perf_counter())

    def _wait(self, step: Step, acted_s: float, wait_started: float) -> None:
        """Poll the step's condition on the UI clock; waiting counts as the step's work, not a scripted wait."""
        from kivy.clock import Clock

        assert step.until is not None
        try:
            done = step.until(self.app)
        except Exception as error:
            log.exception("demo step %s: its condition failed", step.name)
            done = True
            self.failed(step, repr(error), traceback.format_exc())
        if not done and time.perf_counter() - wait_started < step.timeout:
            Clock.schedule_once(lambda _dt: self._wait(step, acted_s, wait_started), 0.05)
            return
        if not done:
            self.failed(step, f"timed out after {step.timeout} s")
        waited = time.perf_counter() - wait_started
        Clock.schedule_once(lambda _dt: self._settled(step, acted_s, waited), self.settle_s)

    def _settled(self, step: Step, acted_s: float, waited_s: float) -> None:
        from kivy.clock import Clock
        from kivy.core.window import Window

        if self.app.root is not None and self.app.root.transition.is_active:  # never a picture of a cross-fade
            Clock.schedule_once(lambda _dt: self._settled(step, acted_s, waited_s), 0.05)
            return
        png = None
        if self.out is not None and step.shoot:
            target = self.out / f"{step.name}.png"
            written = Window.screenshot(name=str(target))
            if written:
                Path(written).replace(target)  # Kivy appends 0001 to the name
            png = target.name
        self.record(step, png, acted_s, waited_s)
        Clock.schedule_once(lambda _dt: self._next(), 0)

    def record(self, step: Step, png: str | None, acted_s: float, waited_s: float) -> None:
        screen = self.app.root.current if self.app.root else None
        from kivy.core.window import Window

        dialogs = [type(w).__name__ for w in Window.children if w is not self.app.root]
        record = {"step": step.name, "screen": screen, "dialogs": dialogs, "png": png,
                  "action_s": round(acted_s, 4), "wait_s": round(waited_s, 3)}
        self.journey["steps"].append(record)
        if screen not in self.journey["screens"]:
            self.journey["screens"].append(screen)


def run_demo(out: Path, orientation: str, elder: bool, config: Path | None, steps: list[Step] | None = None,
             language: str = "zh_CN") -> dict:  # fmt: skip
    from kiosk.launch import start_core
    from screens.bootstrap import configure

    out.mkdir(parents=True, exist_ok=True)
    core = start_core(config, out / "data")
    core.start_hardware()
    core.set_elder_mode(elder)
    core.set_language(language)  # every step in the resident's language (``--language en``)
    configure((1080, 1920) if orientation == "portrait" else (1920, 1080), fullscreen=False)
    from screens.app import TongbanApp

    app = TongbanApp(core)  # its services take the devices and the platform from core.hardware
    app.demo_record = {}
    app.muted = True  # the demo runs unattended; prompts are still synthesised and cached
    runner = DemoRunner(app, out, steps if steps is not None else journey_steps(core.hardware, out))
    run_steps(app, core, runner)
    runner.journey.update(app.demo_record)
    runner.journey["orientation"] = orientation
    runner.journey["elder"] = elder
    runner.journey["language"] = language
    if app.demo_record.get("personal_data_left_after_wipe"):
        runner.journey["errors"].append({"step": "wipe", "error": "personal data left after the wipe"})
    (out / "journey.json").write_text(json.dumps(runner.journey, ensure_ascii=False, indent=2), "utf-8")
    return runner.journey


def run_steps(app, core, runner: DemoRunner) -> None:
    """Run the app until the runner's steps are done, then close the core (the demo and bench/ux.py)."""

    def start(*_args: object) -> None:
        from kivy.uix.screenmanager import NoTransition

        app.root.transition = NoTransition()  # every picture shows one screen, never a cross-fade
        runner.start()

    app.bind(on_start=start)
    try:
        app.run()
    finally:
        core.close()


# 法律援助申请, which this kiosk accepts for a resident registered in Beijing (社区通办): ID card by e-certificate,
# the case papers photographed, the hardship declaration by commitment.
DEMO_ITEM = "330199001400120000"
# A platform test resident (drivers/sim/platform/residents.json) as an ID card, so the real-name check passes
# (the reader deck's own cards are unknown to the platform simulator).
DEMO_CARD = {
    "name": "张伟",
    "sex": "1",
    "nation": "01",
    "birth": "19900307",
    "address": "北京市朝阳区建国路88号院3号楼2单元1201室",
    "id_number": "110105199003071239",
    "authority": "北京市公安局朝阳分局",
    "valid_from": "20150601",
    "valid_to": "20350601",
}
DEMO_PHONE = "13800138000"  # the same test resident's phone, typed into the form


def demo_card():
    """The demo resident's card for ``hardware.sims.idcard.place`` (with the deck's stand-in photo)."""
    from drivers.sim.idcard import SimCard, load_deck

    return SimCard("demo-zhang", "resident", dict(DEMO_CARD), load_deck()[0].photo)


def show_scene(hardware, scene: str, timeout: float = 10.0) -> None:
    """Point the simulated camera at another scene (face, document …) and wait until it is reopened."""
    command = switch_scene(hardware, scene)
    if command is not None:
        command.result(timeout)


def switch_scene(hardware, scene: str):
    """Start pointing the simulated camera at ``scene``: the camera's command, or None when it already shows it."""
    camera = hardware.devices["camera"]
    target = str(hardware.sims.camera_scene(scene))
    if str(camera.source.value) == target:
        return None
    return camera.switch_source(target)


SUBMIT_SHOWN_S = 2.0  # how long the demo's platform takes to answer a submission


def _answer_promptly(hardware) -> None:
    if hardware.sims.platform is not None:
        hardware.sims.platform.set_faults("applications", None)


def scene_step(name: str, hardware, scene: str, timeout: float = 20.0) -> Step:
    """A step that points the camera at ``scene`` while the UI keeps running (the camera reopens in its thread)."""
    pending: dict = {}

    def action(_app) -> None:
        pending["command"] = switch_scene(hardware, scene)

    def switched(_app) -> bool:
        command = pending.get("command")
        if command is None:
            return True
        if not command.done():
            return False
        done = command.result(0)
        if not done.ok:
            raise RuntimeError(f"camera did not switch to the {scene} scene: {done.code}")
        return True

    return Step(name, action, until=switched, timeout=timeout, shoot=False)


def show_receipt_qr(hardware, payload: str, timeout: float = 10.0) -> None:
    """Point the simulated camera at a receipt whose QR carries ``payload`` (the progress lookup)."""
    import cv2
    import numpy as np

    from drivers.sim.camera.scenes import noisy, qr_scene

    path = hardware.sims.camera_dir / "receipt-qr.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (1280, 720))
    scene = qr_scene((1280, 720), payload)
    rng = np.random.default_rng(3)
    for _ in range(30):
        writer.write(noisy(scene, rng))
    writer.release()
    hardware.devices["camera"].switch_source(str(path)).result(timeout)


def _press(widget) -> None:
    """What a finger's tap does to a button (the tests use real touches; the demo dispatches the same events)."""
    widget.dispatch("on_press")
    widget.dispatch("on_release")


def _screen(app, name: str):
    return app.root.get_screen(name)


def _sign(pad) -> None:
    from kivy.tests.common import UnitTestTouch

    x0, y0 = pad.to_window(pad.x + pad.width * 0.15, pad.center_y)
    touch = UnitTestTouch(x0, y0)
    touch.touch_down()
    for step in range(1, 24):
        touch.touch_move(x0 + step * pad.width * 0.03, y0 + ((step % 6) - 3) * pad.height * 0.05)
    touch.touch_up()


def _fill_form(app, phone: str, number: str = "3") -> None:
    """What the resident enters, field by field, as a finger does: `number` on the digit pad (a phone: `phone`),
    the first of a choice, a date, the ID card's address, a name or address in pinyin."""
    form = _screen(app, "form")
    values = {"phone": phone, "date": "2024-03-01"}
    for spec in form._fields():
        if form.journey.session.form.get(spec.key):
            continue
        if form.focus_key != spec.key:  # the form opened on its first empty field itself
            form.focus(spec.key)
        if form.keyboard == "options":
            _press(form.ids.options.children[-1])
        elif form.keyboard == "digits":
            for ch in values.get(str(spec.type), number):
                form.on_digit(ch)
        elif form.keyboard == "date":
            form.choose(values["date"])
        elif form.offers:
            _press(form.ids.offer)  # the ID card's address, one touch
        else:
            keyboard = form.ids.keyboard
            keyboard.set_mode("pinyin")
            words = ("xingfu", "xiaoqu", "sanhaolou") if str(spec.type) == "textarea" else ("zhangsan",)
            for word in words:  # a textarea needs ≥ 10 characters
                for ch in word:
                    keyboard.on_letter(ch)
                keyboard.pick(0)
            if str(spec.type) == "textarea":
                for ch in "1234":
                    form.append(ch)


def _face_guided(app) -> bool:
    """The face screen shows the live picture and the camera's guidance for it (not the first, generic one)."""
    from screens.face import GUIDANCE

    face = _screen(app, "face")
    return (app.root.current == "face" and face.ids.preview.texture is not None
            and face.guidance == app.core.t(GUIDANCE["too_far"]))


def _past_the_face(app, then: str = "materials") -> bool:
    """On the screen after the face (``then``) yet; a resident whose photo timed out while the camera was still
    being pointed at them (a slow scene switch on a busy machine) presses 再试一次, as a person would."""
    if app.root.current == "face":
        face = _screen(app, "face")
        if face.error_text:
            _press(face.ids.retry)
    return app.root.current == then


def resident_steps(hardware, card, phone: str, record: dict, receipt_png: Path | None = None,
                   idle_warning: bool = False, face_guidance: bool = False) -> list[Step]:  # fmt: skip
    """One scripted resident from the home screen back to it: search by initials → guide → ID card ``card`` on
    the reader → face → materials (photo, commitment signed) → form (``phone`` typed) → confirm → submit →
    printed receipt → evaluate → goodbye (card taken, session wiped).

    ``record`` receives what the journey produced: ``receipt`` (printed / on_screen), ``number`` and
    ``reference`` of the application, ``progress_qr``, and ``personal_data_left_after_wipe`` (the widgets and
    session still holding the card's name or ID number or ``phone`` once the session ended — must be empty).
    With ``receipt_png`` the emulator's picture of the printed receipt is copied there; ``idle_warning`` adds
    the "do you need more time?" dialog on the form (the idle timer really running down to it), ``face_guidance``
    the face screen while the camera still guides the resident (first too far away, then near enough)."""

    def search(app):
        _press(_screen(app, "home").ids.search)
        screen = _screen(app, "search")
        for letter in "flyz":
            screen.on_key(letter)

    def guide(app):
        _screen(app, "search").choose("item", DEMO_ITEM)

    def identify(app):
        _press(_screen(app, "guide").ids.apply)

    def place_card(app):
        _press(_screen(app, "identify").ids.idcard)
        hardware.sims.idcard.place(card)

    def capture(app):
        _screen(app, "materials").act("capture", "case_materials")

    def review(app):
        _press(_screen(app, "materials").ids.main_action)

    def commitment(app):
        screen = _screen(app, "materials")
        _press(screen.ids.main_action)  # use this photo
        screen.act("commit", "hardship_declaration")

    def signed(app):
        _sign(_screen(app, "materials").ids.pad)

    def form(app):
        _press(_screen(app, "materials").ids.main_action)  # sign
        _press(_screen(app, "materials").ids.proceed)

    def fill(app):
        _fill_form(app, phone)
        if idle_warning:
            form = _screen(app, "form")
            form.focus("address")
            form.ids.keyboard.set_mode("pinyin")
            for ch in "chaoyangqu":
                form.ids.keyboard.on_letter(ch)  # leave candidates showing for the picture

    def choice(app):
        form = _screen(app, "form")
        form.focus(next((f.key for f in form._fields() if str(f.type) in ("choice", "boolean")), form.focus_key))

    def confirm(app):
        if idle_warning:
            app.more_time()
        form = _screen(app, "form")
        form.ids.keyboard.reset()
        _press(form.ids.next)

    def submit(app):
        platform = hardware.sims.platform
        if platform is not None:  # the loopback platform answers in milliseconds: slowed, the picture shows the wait
            platform.set_faults("applications", latency=SUBMIT_SHOWN_S)
        _press(_screen(app, "confirm").ids.submit)

    def printed(app):
        receipt = _screen(app, "receipt")
        if receipt.state not in ("printed", "on_screen"):
            return False
        if receipt.state == "printed" and not hardware.sims.printer.jobs:
            return False  # the driver hears "done" over the wire before the emulator has drawn its picture
        record["receipt"] = receipt.state
        if receipt.state == "printed" and receipt_png is not None:
            job = hardware.sims.printer.jobs[-1]
            if job.png:
                import shutil

                shutil.copy(job.png, receipt_png)
        submission = app.services.journey.session.submission
        record["number"], record["reference"] = receipt.number, submission.reference
        record["progress_qr"] = submission.progress_qr
        return True

    def evaluate(app):
        _press(_screen(app, "receipt").ids.done)
        _screen(app, "evaluate").pick(2)
        _screen(app, "evaluate").toggle_reason("service_efficiency")

    def wiped(app):
        hardware.sims.idcard.remove()  # the resident takes the card …
        _press(_screen(app, "goodbye").ids.finish)  # … and ends the session: the journey wipes it
        from screens.widgets import personal_strings_left

        needles = [card.fields["name"], card.fields["id_number"], phone]
        record["personal_data_left_after_wipe"] = personal_strings_left(app, needles)

    steps = [
        scene_step("00-face-scene", hardware, "face_far" if face_guidance else "face"),
        Step("01-home", lambda app: app.navigate("home")),
        Step("02-search-flyz", search),
        Step("03-guide", guide),
        Step("04-identify", identify),
        Step("05-card-read", place_card, until=lambda app: app.root.current == "face", timeout=20, shoot=False),
        *([Step("06-face", lambda app: None, until=_face_guided, timeout=20),  # live preview and its guidance
           scene_step("06-face-near", hardware, "face", timeout=60)] if face_guidance else []),
        Step("07-materials", lambda app: None, until=_past_the_face, timeout=60),
        scene_step("08-document-scene", hardware, "document"),
        Step("08-capture", capture, until=lambda app: _screen(app, "materials").ids.preview.texture is not None),
        Step("09-review", review, until=lambda app: _screen(app, "materials").mode == "review", timeout=40),
        Step("10-commitment", commitment),
        Step("11-signed", signed),
        Step("12-form", form, until=lambda app: app.root.current == "form"),
        Step("13-form-filled", fill),
        Step("13-form-choice", choice),  # a choice's buttons: the catalog's options in the resident's language
        Step("15-confirm", confirm, until=lambda app: app.root.current == "confirm"),
        Step("16-submitting", submit, until=lambda app: app.root.current == "submitting"),
        Step("17-receipt", lambda app: _answer_promptly(hardware), until=printed, timeout=40),
        Step("18-evaluate", evaluate),
        Step("19-goodbye", lambda app: _press(_screen(app, "evaluate").ids.send)),
        Step("20-wiped-home", wiped),
    ]
    if idle_warning:
        steps.insert(steps.index(next(s for s in steps if s.name == "15-confirm")),
                     Step("14-idle-warning", lambda app: app.core.idle.leave_for(18),
                          until=lambda app: app._idle_dialog is not None))  # fmt: skip
    return steps


def journey_steps(hardware, out: Path) -> list[Step]:
    """The demo: the scripted resident (``resident_steps``) with the idle warning shown on the form, then a
    progress lookup by the receipt's QR, help, an agent applying for someone else (``agent_steps``), and the home
    screen in English."""
    record: dict = {}

    def progress(app):
        show_receipt_qr(hardware, record["progress_qr"])
        app.navigate("progress")
        _screen(app, "progress").on_pre_enter()
        _screen(app, "progress").start_scan()

    def remember(app):
        app.demo_record["receipt"] = record.get("receipt")
        app.demo_record["application_number"] = record.get("number")
        app.demo_record["personal_data_left_after_wipe"] = record.get("personal_data_left_after_wipe")

    return [
        *resident_steps(hardware, demo_card(), DEMO_PHONE, record, out / "receipt-printed.png", idle_warning=True,
                        face_guidance=True),
        Step("20-recorded", remember, shoot=False),
        Step("21-progress", progress, until=lambda app: len(_screen(app, "progress").ids.timeline.children) > 0,
             timeout=40),
        Step("22-help", lambda app: app.navigate("help")),
        *agent_steps(hardware, demo_card()),
        Step("29-home-en", lambda app: (app.go_home(), app.core.set_language("en"))),
    ]


# 个人参保证明查询打印: may be done for someone else (帮办代办); its principal typed in with the 授权委托书.
AGENT_ITEM = "330199000101310000"
PRINCIPAL_ID_STEM = "33019919300101002"  # the principal's ID number without its check digit (computed)


def agent_steps(hardware, card) -> list[Step]:
    """帮办代办: the agent put their card ``card`` on the reader before choosing the service; the identify screen
    asks for whom before reading it → 代他人办理 → the agent's face → the principal's screen → the principal
    typed in (name by pinyin, ID number on the digit pad) → the materials with the 授权委托书 → the agent ends."""

    heard: list[str] = []
    listening: dict = {}

    def card_first(app):
        app.go_home()
        listening["detach"] = hardware.devices["idcard"].subscribe(lambda event: heard.append(event.kind))
        hardware.sims.idcard.place(card)  # on the home screen a card alone starts nothing (read, ignored)

    def identify(app):
        listening.pop("detach")()
        _screen(app, "search").choose("item", AGENT_ITEM)
        _press(_screen(app, "guide").ids.apply)

    def entered(app):
        from drivers.identity import check_digit

        hardware.sims.idcard.remove()  # the agent's card: checked, taken back (no countdown for an agent)
        principal = _screen(app, "principal")
        _press(principal.ids.by_entry)
        keyboard = principal.ids.keyboard
        keyboard.set_mode("pinyin")
        for ch in "wangfang":
            keyboard.on_letter(ch)
        keyboard.pick(keyboard.cands.index("王芳") if "王芳" in keyboard.cands else 0)  # the phrase candidate
        principal.focus("id_number")
        for ch in PRINCIPAL_ID_STEM + check_digit(PRINCIPAL_ID_STEM):
            principal.on_digit(ch)

    def ended(app):
        app.cancel_session()

    return [
        scene_step("23-face-scene", hardware, "face"),
        Step("23-agent-card-down", card_first, until=lambda _app: "identity_read" in heard, shoot=False),
        Step("24-agent-identify", identify, until=lambda app: _screen(app, "identify").card_waiting),
        Step("25-principal", lambda app: _press(_screen(app, "identify").ids.for_other),
             until=lambda app: _past_the_face(app, "principal"), timeout=60),
        Step("26-principal-entered", entered),
        Step("27-agent-materials", lambda app: _press(_screen(app, "principal").ids.confirm_entry),
             until=lambda app: app.root.current == "materials"),
        Step("28-agent-ended", ended, until=lambda app: app.root.current == "home", shoot=False),
    ]
