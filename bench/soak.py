"""Soak: N resident journeys through kiosk/ with every device on its simulator (no UI), in one kiosk process.

Each journey (bench/harness/journey.py, through kiosk.applications as the touchscreen does): ID card on the
reader simulator → real driver → face photo from the simulated camera → real-name check on the platform
simulator → certificates → 临时救助 application (form, photographed page, signed commitment, 容缺) into the
encrypted outbox → the product's masked receipt on the ESC/POS emulator → evaluation → progress lookup →
session ended, card removed. The platform simulator runs in its own process (as the platform is elsewhere), so
memory is the kiosk's; the device simulators are small and share the kiosk's process. After every journey the
privacy scan looks for the test residents' names, ID numbers, phones and addresses in the logs, the audit trail,
the data folder and a private temp folder (not in the encrypted outbox, the platform simulator's store, or
receipt pictures), and in the printed receipt text; every --object-scan-every journeys also in the process's
live kiosk/driver objects.

Then --ui-journeys (300) more through the real Kivy app offscreen, in a process of their own
(bench/harness/ui_soak.py). Prints journeys per second, resident memory, descriptors and threads after warm-up
and at the end, for both.
Targets: memory growth ≤ 10 MB, descriptors and threads unchanged, zero crashes, lost applications and leaks.
Run: PYTHONPATH=. python bench/soak.py [--journeys 10000] [--ui-journeys 300] [--json PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness.journey import KioskRig, personal_data, residents
from kiosk.memory import limit_malloc_arenas
from kiosk.privacy_scan import PrivacyScanner

# kept out of the scan: the encrypted outbox and its key, the platform simulator's own store (the government
# side legitimately holds the applications), and receipt pictures (the receipt text is scanned instead)
EXCLUDE = ["*outbox.sqlite3*", "*outbox.key", "*platform.sqlite3*", "*platform.token", "*sim/printer/*"]
WARMUP = 20
TOKEN = "soak-token"
ROOT = Path(__file__).resolve().parent.parent


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def sample() -> dict[str, int]:
    gc.collect()
    return {"rss_kib": rss_kib(), "fds": len(os.listdir("/proc/self/fd")), "threads": threading.active_count()}


class PlatformProcess:
    """The platform simulator in its own process, as the real platform is: the soak's memory figures are the
    kiosk's, not those of a simulator whose SQLite store grows with every application it accepts."""

    def __init__(self, root: Path) -> None:
        self.db = root / "platform.sqlite3"
        self.token_file = root / "platform.token"
        self.token_file.write_text(TOKEN, "utf-8")
        command = [sys.executable, "-m", "kiosk", "sim", "platform", "--db", str(self.db), "--token", TOKEN]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.stop()
            raise RuntimeError("the platform simulator did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)

    def client_references(self) -> list[str]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            return [row[0] for row in db.execute("SELECT client_reference FROM applications ORDER BY seq")]


def soak(journeys: int, data_dir: Path, object_scan_every: int = 50, quiet: bool = False) -> dict:
    """The headless soak; temporary files go to a private folder under ``data_dir`` (scanned), only meanwhile."""
    tmp = data_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(tmp)
    try:
        return _soak(journeys, data_dir, object_scan_every, quiet)
    finally:
        if saved[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]


def _soak(journeys: int, data_dir: Path, object_scan_every: int, quiet: bool) -> dict:
    scanner = PrivacyScanner(personal_data())
    people = residents()
    platform = PlatformProcess(data_dir)
    try:
        rig = KioskRig.start(data_dir / "kiosk", platform.url, platform.token_file)
    except BaseException:
        platform.stop()
        raise
    outcomes, crashes, leaks = [], [], []
    start = sample()
    began = time.monotonic()
    warm, warm_at = start, began
    try:
        for seq in range(journeys):
            try:
                outcomes.append(rig.journey(people[seq % len(people)], seq))
            except Exception:
                crashes.append(traceback.format_exc(limit=5))
            leaks += [str(f) for f in scanner.scan_tree(data_dir, EXCLUDE)]
            emulator = rig.hw.sims.printer
            for job in emulator.jobs:
                leaks += [str(f) for f in scanner.scan_text("\n".join(job.lines + job.qr_payloads), "receipt")]
            with emulator._cond:  # the emulator keeps every job for tests; a soak would measure that list instead
                emulator._jobs.clear()
            if object_scan_every and (seq + 1) % object_scan_every == 0:
                leaks += [str(f) for f in scanner.scan_objects()]
            if seq + 1 == min(WARMUP, journeys):
                warm, warm_at = sample(), time.monotonic()
            if not quiet and (seq + 1) % 500 == 0:
                print(f"  {seq + 1} journeys, {rss_kib() / 1024:.1f} MB", flush=True)
        drained = rig.outbox.wait_idle(120)
        leaks += [str(f) for f in scanner.scan_objects()]
        end, ended = sample(), time.monotonic()
        accepted = {o.reference for o in outcomes if o.kind == "accepted"}
    finally:
        rig.stop()
        platform.stop()
    delivered = platform.client_references()
    measured = max(journeys - WARMUP, 1)
    return {
        "journeys": journeys,
        "outcomes": {kind: sum(o.kind == kind for o in outcomes) for kind in sorted({o.kind for o in outcomes})},
        "unclear": sum(not o.clear for o in outcomes),
        "receipts_not_printed": sum(o.kind == "accepted" and not o.receipt_printed for o in outcomes),
        "rate": measured / max(ended - warm_at, 1e-9) if journeys > WARMUP else journeys / (ended - began),
        "start": start, "warm": warm, "end": end,
        "crashes": crashes,
        "lost": len(accepted - set(delivered)),
        "duplicated": len(delivered) - len(set(delivered)),
        "drained": drained,
        "leaks": leaks,
    }  # fmt: skip


def figures(result: dict) -> list[dict]:
    warm, end = result["warm"], result["end"]
    return [
        {"name": "soak.journeys", "value": result["journeys"], "unit": "journeys", "target": None},
        {"name": "soak.journeys_per_second", "value": round(result["rate"], 2), "unit": "journeys/s", "target": None},
        {"name": "soak.rss_start", "value": round(warm["rss_kib"] / 1024, 1), "unit": "MB", "target": None},
        {"name": "soak.rss_end", "value": round(end["rss_kib"] / 1024, 1), "unit": "MB", "target": None},
        {"name": "soak.rss_growth", "value": round((end["rss_kib"] - warm["rss_kib"]) / 1024, 2), "unit": "MB",
         "target": "<= 10"},
        {"name": "soak.fd_growth", "value": end["fds"] - warm["fds"], "unit": "fds", "target": "== 0"},
        {"name": "soak.thread_growth", "value": end["threads"] - warm["threads"], "unit": "threads", "target": "== 0"},
        {"name": "soak.crashes", "value": len(result["crashes"]), "unit": "journeys", "target": "== 0"},
        {"name": "soak.lost_applications", "value": result["lost"], "unit": "applications", "target": "== 0"},
        {"name": "soak.duplicated_applications", "value": result["duplicated"], "unit": "applications",
         "target": "== 0"},
        {"name": "soak.unclear_outcomes", "value": result["unclear"], "unit": "journeys", "target": "== 0"},
        {"name": "soak.privacy_findings", "value": len(result["leaks"]), "unit": "findings", "target": "== 0"},
    ]  # fmt: skip


def ui_soak(journeys: int) -> tuple[bool, list[dict]]:
    """The UI half in its own process (Kivy has one window per process): bench/harness/ui_soak.py."""
    with tempfile.TemporaryDirectory(prefix="tongban-ui-soak-") as tmp:
        out = Path(tmp) / "figures.json"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SDL_VIDEODRIVER": os.environ.get("SDL_VIDEODRIVER", "offscreen"),
               "KIVY_NO_CONSOLELOG": "1", "KIVY_HOME": str(Path(tmp) / "kivy")}  # fmt: skip
        command = [sys.executable, str(ROOT / "bench" / "harness" / "ui_soak.py"), "--journeys", str(journeys),
                   "--json", str(out)]  # fmt: skip
        done = subprocess.run(command, cwd=ROOT, env=env)
        figs = json.loads(out.read_text("utf-8")) if out.exists() else []
    return done.returncode == 0 and bool(figs), figs


def main() -> int:
    limit_malloc_arenas()  # as the kiosk command does first thing (kiosk/memory.py)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=10_000)
    parser.add_argument("--ui-journeys", type=int, default=300, help="journeys through the UI, offscreen (0: none)")
    parser.add_argument("--object-scan-every", type=int, default=50, help="journeys between live-object scans")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tongban-soak-") as tmp:
        print(f"soak: {args.journeys} journeys, every simulator, privacy scan after each")
        result = soak(args.journeys, Path(tmp), args.object_scan_every)
    figs = figures(result)
    print(f"  outcomes: {result['outcomes']}; receipts not printed: {result['receipts_not_printed']}")
    print(f"  start (after {WARMUP} journeys): {result['warm']}; end: {result['end']}")
    for f in figs:
        target = f"(target {f['target']})" if f["target"] else ""
        print(f"  {f['name']:32} {f['value']:>10} {f['unit']:12} {target}")
    for crash in result["crashes"][:3]:
        print("crash:\n" + crash)
    for leak in result["leaks"][:10]:
        print("leak: " + leak)
    ok = not result["crashes"] and not result["leaks"] and not result["lost"] and result["drained"]
    if args.ui_journeys:
        print(f"soak through the UI: {args.ui_journeys} journeys, offscreen", flush=True)
        ui_ok, ui_figs = ui_soak(args.ui_journeys)
        figs += ui_figs
        ok = ok and ui_ok
    if args.json:
        Path(args.json).write_text(json.dumps(figs, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
