"""UI soak: N resident journeys through the real Kivy app, offscreen, back to back in one app run.

The kiosk core starts on every simulator as ``kiosk demo`` does (``kiosk.launch.start_core``,
``core.start_hardware()``, ``TongbanApp(core)``); the journeys are ``screens.demo.resident_steps`` (search →
guide → ID card on the reader simulator → face → materials: photo, signed commitment → form → confirm →
submit → receipt on the ESC/POS emulator → 好差评 → goodbye, session wiped → home), run on the Kivy clock
without screenshots or scripted pauses, each with the next of the platform's test residents who hold a valid
ID card. After every journey: the widgets and the session must hold none of that resident's name, ID number
or phone; the data folder (logs, audit trail, receipts kept for reprint, state, a private temp folder) and
Kivy's own logs are scanned for every test person (not the encrypted outbox, the platform simulator's store
or receipt pictures), and so is the printed receipt's text; every ``object_scan_every`` journeys also the
live kiosk/drivers/screens objects. A step that raises or times out is a crash: the session is cancelled
and the next journey starts from home.

Memory (VmRSS), descriptors and threads are sampled after a warm-up and at the end, each time once the
outbox has drained and the journey's worker threads have ended. Lost applications: accepted on a receipt but
not on the platform simulator once the outbox drained.

Run: PYTHONPATH=. SDL_VIDEODRIVER=offscreen python bench/harness/ui_soak.py --journeys 300 [--json PATH]
Exit 0 when crashes, lost and duplicated applications, privacy findings, descriptor and thread growth are all
zero (memory growth is reported against its target of 10 MB but does not fail the run). One run per process:
Kivy has one window per process.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.harness.journey import personal_data, residents
from kiosk.memory import limit_malloc_arenas
from kiosk.privacy_scan import PrivacyScanner
from screens.demo import DemoRunner, Step, resident_steps

ROOT = Path(__file__).resolve().parents[2]

# the same exclusions as bench/soak.py: the encrypted outbox and its key, the platform simulator's own store
# (the government side holds the applications), receipt pictures (the receipt text is scanned instead)
EXCLUDE = ["*outbox.sqlite3*", "*outbox.key", "*sim/platform.sqlite3*", "*sim/printer/*"]
WARMUP = 10
OBJECT_SCAN_EVERY = 25
QUIET_TIMEOUT_S = 20.0
# threads a journey starts and that end on their own (the real-name check, submission, the voice prompt)
_TRANSIENT_THREADS = ("journey",)


def ui_residents() -> list:
    """The platform's test residents the scripted journey fits: a valid resident ID card, a face that matches,
    and the ID card held as an e-certificate (the script photographs only the case papers; 欧阳小明, a child,
    would have to photograph the card itself)."""
    people = json.loads((ROOT / "drivers" / "sim" / "platform" / "residents.json").read_text("utf-8"))["residents"]
    fits = {p["id_number"] for p in people if p.get("card_status", "valid") == "valid"
            and p.get("face_matches") is not False and any(c["code"] == "id_card" for c in p["certificates"])}
    return [r for r in residents() if r.id_number in fits]


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def sample() -> dict[str, int]:
    gc.collect()
    return {"rss_kib": rss_kib(), "fds": len(os.listdir("/proc/self/fd")), "threads": threading.active_count()}


class SoakRunner(DemoRunner):
    """Queues one resident's steps at a time; after each journey its checks, then the next resident."""

    def __init__(self, app, hardware, journeys: int, data_dir: Path, object_scan_every: int = OBJECT_SCAN_EVERY,
                 kivy_logs: Path | None = None, progress_every: int = 25) -> None:  # fmt: skip
        super().__init__(app, None, [], settle_s=0.0)
        self.hw = hardware
        self.journeys = journeys
        self.data_dir = data_dir
        self.object_scan_every = object_scan_every
        self.kivy_logs = kivy_logs
        self.progress_every = progress_every
        self.people = ui_residents()
        self.scanner = PrivacyScanner(personal_data())
        self.warmup = min(WARMUP, max(1, journeys // 3))
        self.crashes: list[dict] = []
        self.leaks: list[str] = []
        self.references: list[str] = []
        self.not_printed = 0
        self.step_s: dict[str, list[float]] = {}  # step name -> [count, seconds]: bounded, unlike a step log
        self.samples: dict[str, dict[str, int]] = {}
        self.times: dict[str, float] = {}
        self.delivered: list[str] = []
        self.drained = False
        self.done = 0
        self._seq = -1
        self._record: dict = {}
        self._recovering = False
        self.steps = self._journey(0)

    # -- the journeys --------------------------------------------------------------------------------------
    def _journey(self, seq: int) -> list[Step]:
        self._seq, self._record, self._recovering = seq, {}, False
        person = self.people[seq % len(self.people)]
        steps = resident_steps(self.hw, person.card(), person.phone, self._record)
        return [*steps, Step("checks", lambda _app: self._checks(person), shoot=False)]

    def _checks(self, person) -> None:
        """After a journey: privacy, then what comes next (a sample, the next journey, or the end)."""
        seq, record = self._seq, self._record
        self.done = seq + 1
        from screens.widgets import personal_strings_left

        left = personal_strings_left(self.app, [person.name, person.id_number, person.phone])
        self.leaks += [f"journey {seq}: left after the wipe in {where}" for where in left]
        if record.get("receipt") == "printed" or record.get("receipt") == "on_screen":
            self.references.append(record["reference"])
            self.not_printed += record["receipt"] != "printed"
        self._scan_files()
        if self.object_scan_every and self.done % self.object_scan_every == 0:
            self.leaks += [str(f) for f in self.scanner.scan_objects()]
        if self.progress_every and self.done % self.progress_every == 0:
            print(f"  {self.done} journeys, {rss_kib() / 1024:.1f} MB, {len(self.crashes)} crashes", flush=True)
        following: list[Step] = []
        if self.done == self.warmup:
            following += self._sample_steps("warm")
        if self.done < self.journeys:
            following += self._journey(self.done)
        else:
            following += self._end_steps()
        self.steps[:0] = following

    def _scan_files(self) -> None:
        self.leaks += [str(f) for f in self.scanner.scan_tree(self.data_dir, EXCLUDE)]
        if self.kivy_logs is not None:
            self.leaks += [str(f) for f in self.scanner.scan_tree(self.kivy_logs)]
        emulator = self.hw.sims.printer
        for job in emulator.jobs:
            self.leaks += [str(f) for f in self.scanner.scan_text("\n".join(job.lines + job.qr_payloads), "receipt")]
        with emulator._cond:  # the emulator keeps every job for tests; a soak would measure that list instead
            emulator._jobs.clear()

    # -- samples and the end ------------------------------------------------------------------------------
    def _quiet(self) -> Step:
        """Wait (not a crash when it lasts) until the outbox drained and the journey's worker threads ended."""
        deadline: list[float] = []

        def quiet(_app) -> bool:
            if not deadline:
                deadline.append(time.monotonic() + QUIET_TIMEOUT_S)
            busy = any(t.name in _TRANSIENT_THREADS for t in threading.enumerate())
            return (self.hw.outbox.depth() == 0 and not busy) or time.monotonic() > deadline[0]

        return Step("quiet", lambda _app: None, until=quiet, timeout=QUIET_TIMEOUT_S + 5, shoot=False)

    def _sample_steps(self, key: str) -> list[Step]:
        def take(_app) -> None:
            self.samples[key] = sample()
            self.times[key] = time.monotonic()
            self.times[key + "_done"] = self.done

        return [self._quiet(), Step(f"sample-{key}", take, shoot=False)]

    def _end_steps(self) -> list[Step]:
        def drained(_app) -> bool:
            return self.hw.outbox.depth() == 0

        def collect(_app) -> None:
            self.drained = self.hw.outbox.depth() == 0
            self.delivered = [a["client_reference"] for a in self.hw.sims.platform.applications()]
            self._scan_files()
            self.leaks += [str(f) for f in self.scanner.scan_objects()]

        return [Step("drain", lambda _app: None, until=drained, timeout=120, shoot=False),
                *self._sample_steps("end"), Step("collect", collect, shoot=False)]  # fmt: skip

    # -- runner hooks ---------------------------------------------------------------------------------------
    def failed(self, step: Step, error: str, trace: str | None = None) -> None:
        """A crash: recorded; the rest of the journey is dropped, the session cancelled, its checks still run."""
        self.crashes.append({"journey": self._seq, "step": step.name, "error": error, "trace": trace or ""})
        if self._recovering or step.name in ("checks", "drain", "collect") or step.name.startswith("sample-"):
            return
        self._recovering = True
        checks = next((s for s in self.steps if s.name == "checks"), None)
        rest = self.steps[self.steps.index(checks) + 1:] if checks is not None else list(self.steps)

        def recover(app) -> None:
            self.hw.sims.idcard.remove()
            app.cancel_session()
            app.go_home()

        self.steps = [Step("recover", recover, until=lambda app: app.root.current == "home"
                           and not app.services.journey.active, timeout=30, shoot=False),
                      *([checks] if checks is not None else []), *rest]  # fmt: skip

    def record(self, step: Step, png: str | None, acted_s: float, waited_s: float) -> None:
        entry = self.step_s.setdefault(step.name, [0, 0.0])
        entry[0] += 1
        entry[1] += acted_s + waited_s

    def finished(self) -> None:
        self.app.stop()


def run(journeys: int, data_dir: Path, orientation: str = "portrait", object_scan_every: int = OBJECT_SCAN_EVERY,
        progress_every: int = 25) -> dict:  # fmt: skip
    """``journeys`` resident journeys through the app; the result dict ``figures`` turns into the figures."""
    data_dir = Path(data_dir)
    tmp = data_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = str(tmp)  # temp files land where the privacy scan looks
    tempfile.tempdir = str(tmp)
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    from kiosk.launch import start_core
    from screens.bootstrap import configure

    core = start_core(None, data_dir / "kiosk")
    hardware = core.start_hardware()
    if hardware.sims.printer is not None:
        hardware.sims.printer.render_png = False  # receipts are parsed either way; pictures are not needed
    configure((1080, 1920) if orientation == "portrait" else (1920, 1080), fullscreen=False)
    import kivy

    from screens.app import TongbanApp

    app = TongbanApp(core)
    app.muted = True  # unattended: prompts are still synthesised and cached
    kivy_logs = Path(kivy.kivy_home_dir) / "logs"
    runner = SoakRunner(app, hardware, journeys, data_dir, object_scan_every, kivy_logs, progress_every)
    app.bind(on_start=lambda *_a: runner.start())
    began = time.monotonic()
    try:
        app.run()
    finally:
        core.close()
    ended = time.monotonic()
    accepted = set(runner.references)
    delivered = runner.delivered
    warm_at, warm_done = runner.times.get("warm", began), runner.times.get("warm_done", 0)
    end_at = runner.times.get("end", ended)
    measured = runner.done - warm_done
    return {
        "journeys": runner.done,
        "rate": measured / max(end_at - warm_at, 1e-9) if measured > 0 else runner.done / max(end_at - began, 1e-9),
        "warmup": runner.warmup,
        "warm": runner.samples.get("warm", {}), "end": runner.samples.get("end", {}),
        "crashes": runner.crashes,
        "lost": len(accepted - set(delivered)),
        "duplicated": len(delivered) - len(set(delivered)),
        "receipts": len(runner.references),
        "receipts_not_printed": runner.not_printed,
        "drained": runner.drained,
        "leaks": runner.leaks,
        "step_s": {name: round(total / count, 3) for name, (count, total) in runner.step_s.items()},
        "wall_s": round(ended - began, 1),
    }  # fmt: skip


def figures(result: dict) -> list[dict]:
    warm, end = result["warm"], result["end"]

    def growth(key: str) -> int | None:
        return end[key] - warm[key] if key in warm and key in end else None

    rss_growth = growth("rss_kib")
    return [
        {"name": "soak_ui.journeys", "value": result["journeys"], "unit": "journeys", "target": None},
        {"name": "soak_ui.journeys_per_second", "value": round(result["rate"], 3), "unit": "journeys/s",
         "target": None},
        {"name": "soak_ui.rss_start", "value": round(warm.get("rss_kib", 0) / 1024, 1), "unit": "MB", "target": None},
        {"name": "soak_ui.rss_end", "value": round(end.get("rss_kib", 0) / 1024, 1), "unit": "MB", "target": None},
        {"name": "soak_ui.rss_growth", "value": None if rss_growth is None else round(rss_growth / 1024, 2),
         "unit": "MB", "target": "<= 10"},
        {"name": "soak_ui.fd_growth", "value": growth("fds"), "unit": "fds", "target": "== 0"},
        {"name": "soak_ui.thread_growth", "value": growth("threads"), "unit": "threads", "target": "== 0"},
        {"name": "soak_ui.crashes", "value": len(result["crashes"]), "unit": "steps", "target": "== 0"},
        {"name": "soak_ui.lost_applications", "value": result["lost"], "unit": "applications", "target": "== 0"},
        {"name": "soak_ui.duplicated_applications", "value": result["duplicated"], "unit": "applications",
         "target": "== 0"},
        {"name": "soak_ui.privacy_findings", "value": len(result["leaks"]), "unit": "findings", "target": "== 0"},
    ]  # fmt: skip


def passed(result: dict, figs: list[dict]) -> bool:
    """Every target holds except memory's (reported, not failed on); every journey ran and the outbox drained."""
    values = {f["name"]: f["value"] for f in figs}
    zero = ["fd_growth", "thread_growth", "crashes", "lost_applications", "duplicated_applications",
            "privacy_findings"]  # fmt: skip
    return all(values[f"soak_ui.{name}"] == 0 for name in zero) and result["drained"] and result["receipts"] > 0


def main() -> int:
    limit_malloc_arenas()  # as the kiosk command does first thing (kiosk/memory.py)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=300)
    parser.add_argument("--orientation", choices=("portrait", "landscape"), default="portrait")
    parser.add_argument("--object-scan-every", type=int, default=OBJECT_SCAN_EVERY,
                        help="journeys between live-object scans")  # fmt: skip
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args()
    print(f"UI soak: {args.journeys} journeys through the app offscreen, privacy scan after each", flush=True)
    with tempfile.TemporaryDirectory(prefix="tongban-ui-soak-") as tmp:
        result = run(args.journeys, Path(tmp), args.orientation, args.object_scan_every)
    figs = figures(result)
    print(f"  receipts: {result['receipts']} ({result['receipts_not_printed']} shown on screen only); "
          f"wall time {result['wall_s']} s")  # fmt: skip
    print(f"  start (after {result['warmup']} journeys): {result['warm']}; end: {result['end']}")
    print("  seconds per step: " + ", ".join(f"{k} {v}" for k, v in result["step_s"].items()))
    for f in figs:
        target = f"(target {f['target']})" if f["target"] else ""
        print(f"  {f['name']:36} {f['value']!s:>10} {f['unit']:12} {target}")
    for crash in result["crashes"][:3]:
        print(f"crash in journey {crash['journey']} at {crash['step']}: {crash['error']}\n{crash['trace']}")
    for leak in result["leaks"][:10]:
        print("leak: " + leak)
    if args.json:
        Path(args.json).write_text(json.dumps(figs, indent=2))
    return 0 if passed(result, figs) else 1


if __name__ == "__main__":
    sys.exit(main())
