"""Chaos: journeys while faults hit the devices and the platform and the kiosk process is SIGKILLed at random.

The platform simulator runs here (it outlives the kiosk) and cycles through 5xx, timeouts (latency beyond the
client's read timeout), dropped connections before and after processing, and 429 with Retry-After. The kiosk
side (bench/harness/chaos_worker.py) runs as a subprocess with its own device simulators and a seeded device
fault schedule (printer paper out, cover open, power cycle; ID reader silent as if unplugged, failed reads;
camera black frames). It is killed with SIGKILL at random moments and restarted, continuing with the next
resident. After every kill the outbox database and the audit chain are checked (SQLite integrity, chain
verification); after every journey the data folder is scanned for personal data (the worker scans its objects).

Afterwards, with the platform healthy, one more start delivers what is left. Checked: every application the
kiosk accepted reached the platform exactly once; no application twice; every resident whose journey ended got
a clear message; the kiosk came back by itself after every kill; both databases intact; no personal data leaked.
Run: PYTHONPATH=. python bench/chaos.py [--journeys 200] [--seed 7] [--kill-every 1.0:4.0] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness.journey import personal_data  # noqa: E402
from drivers.sim.platform import Fault, PlatformSimulator  # noqa: E402
from kiosk.audit import AuditTrail  # noqa: E402
from kiosk.privacy_scan import PrivacyScanner  # noqa: E402

WORKER = ROOT / "bench" / "harness" / "chaos_worker.py"
EXCLUDE = ["*outbox.sqlite3*", "*outbox.key", "*sim/printer/*", "*platform.token"]
PLATFORM_FAULTS = [
    None,
    Fault(error_rate=0.5, error_status=503, retry_after=0),
    Fault(error_rate=0.3, error_status=500),
    Fault(latency=16.0),  # beyond the client's 15 s read timeout: a timeout on every request
    Fault(drop_before=0.3),
    Fault(drop_after=0.3),  # processed and committed, answer lost: the retry must not create a second one
    Fault(throttle_rate=0.5, retry_after=1),
]


def check_stores(data_dir: Path) -> list[str]:
    """Integrity of the outbox database and the audit chain, as a freshly restarted kiosk would find them."""
    problems = []
    outbox = data_dir / "outbox.sqlite3"
    if outbox.exists():
        with sqlite3.connect(f"file:{outbox}?mode=ro", uri=True) as db:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            problems.append(f"outbox: {result}")
    audit = data_dir / "audit.sqlite3"
    if audit.exists():
        with AuditTrail(audit, readonly=True) as trail:
            verdict = trail.verify()
        if not verdict.ok:
            problems.append(f"audit: {verdict.reason}")
    return problems


class Worker:
    def __init__(self, data_dir: Path, url: str, token_file: Path, first: int, last: int, seed: int,
                 faults: bool) -> None:  # fmt: skip
        command = [sys.executable, str(WORKER), str(data_dir), url, str(token_file), str(first), str(last), str(seed)]
        if not faults:
            command.append("--no-faults")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True, bufsize=1)  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


def chaos(journeys: int, root: Path, seed: int, kill_every: tuple[float, float], faults: bool = True,
          time_limit: float = 3600.0, platform_faults: list[Fault | None] | None = None) -> dict:  # fmt: skip
    rng = random.Random(seed)
    scanner = PrivacyScanner(personal_data())
    data_dir = root / "kiosk"
    token_file = root / "platform.token"
    token_file.write_text("chaos-token", "utf-8")
    sim = PlatformSimulator(root / "platform.sqlite3", token="chaos-token", seed=seed)
    sim.start()
    accepted: dict[int, str] = {}
    outcomes: dict[int, tuple[str, str]] = {}
    begun: set[int] = set()
    interrupted: list[int] = []
    leaks: list[str] = []  # files: logs, audit, data and temp folders of the kiosk
    object_leaks: list[str] = []  # live objects of the kiosk process after a journey
    store_problems: list[str] = []
    recoveries: list[float] = []
    kills = 0
    deadline = time.monotonic() + time_limit
    next_seq = 0
    try:
        while next_seq < journeys and time.monotonic() < deadline:
            worker = Worker(data_dir, sim.url, token_file, next_seq, journeys, rng.randrange(1 << 30), faults)
            kill_at = time.monotonic() + rng.uniform(*kill_every) if faults else float("inf")
            ready = False
            while True:
                if faults and time.monotonic() > kill_at and ready:
                    worker.kill()
                    kills += 1
                    store_problems += [f"after kill {kills}: {p}" for p in check_stores(data_dir)]
                    break
                if faults and rng.random() < 0.02:
                    fault = rng.choice(PLATFORM_FAULTS if platform_faults is None else platform_faults)
                    sim.clear_faults() if fault is None else sim.set_faults("*", fault)
                try:
                    line = worker.lines.get(timeout=0.05)
                except queue.Empty:
                    continue
                if line is None:  # the worker ended by itself
                    worker.process.wait(30)
                    break
                kind, _, rest = line.partition(" ")
                if kind == "ready":
                    ready = True
                    recoveries.append(time.monotonic() - worker.started)
                elif kind == "begin":
                    seq = int(rest.split()[0])
                    begun.add(seq)
                    next_seq = seq + 1
                elif kind == "outcome":
                    seq_s, what, _printed, ref, message = rest.split(" ", 4)
                    outcomes[int(seq_s)] = (what, message)
                    if what == "accepted":
                        accepted[int(seq_s)] = ref
                    leaks += [str(f) for f in scanner.scan_tree(root, [*EXCLUDE, "platform.sqlite3*"])]
                elif kind == "leak":
                    object_leaks.append(rest)
        interrupted = sorted(begun - set(outcomes))
        sim.clear_faults()
        final = Worker(data_dir, sim.url, token_file, journeys, journeys, seed, False)  # deliver what is left
        lines = []
        while (line := final.lines.get(timeout=300)) is not None:
            lines.append(line)
        final.process.wait(30)
        drained = "drained" in lines
        store_problems += check_stores(data_dir)
        applications = sim.applications()
    finally:
        sim.stop()
    delivered = [a["client_reference"] for a in applications]
    wanted = set(accepted.values())
    return {
        "journeys": journeys, "begun": len(begun), "kills": kills, "interrupted": len(interrupted),
        "outcomes": {k: sum(1 for w, _ in outcomes.values() if w == k) for k in sorted({w for w, _ in
                                                                                    outcomes.values()})},
        "unclear": sum(1 for w, m in outcomes.values() if not m or w not in
                       ("accepted", "refused", "card_unreadable", "platform_unavailable")),
        "accepted": len(wanted),
        "lost": len(wanted - set(delivered)),
        "duplicated": len(delivered) - len(set(delivered)),
        "delivered": len(delivered),
        "drained": drained,
        "recovery_max_s": max(recoveries, default=0.0),
        "recovery_median_s": sorted(recoveries)[len(recoveries) // 2] if recoveries else 0.0,
        "store_problems": store_problems,
        "leaks": leaks,
        "object_leaks": object_leaks,
    }  # fmt: skip


def figures(result: dict) -> list[dict]:
    return [
        {"name": "chaos.journeys", "value": result["begun"], "unit": "journeys", "target": None},
        {"name": "chaos.kills", "value": result["kills"], "unit": "SIGKILLs", "target": None},
        {"name": "chaos.accepted", "value": result["accepted"], "unit": "applications", "target": None},
        {"name": "chaos.lost_applications", "value": result["lost"], "unit": "applications", "target": "== 0"},
        {"name": "chaos.duplicated_applications", "value": result["duplicated"], "unit": "applications",
         "target": "== 0"},
        {"name": "chaos.unclear_outcomes", "value": result["unclear"], "unit": "journeys", "target": "== 0"},
        {"name": "chaos.interrupted_by_kill", "value": result["interrupted"], "unit": "journeys", "target": None},
        {"name": "chaos.recovery_after_kill_max", "value": round(result["recovery_max_s"], 2), "unit": "s",
         "target": None},
        {"name": "chaos.store_problems", "value": len(result["store_problems"]), "unit": "problems", "target": "== 0"},
        {"name": "chaos.privacy_findings_files", "value": len(result["leaks"]), "unit": "findings", "target": "== 0"},
        {"name": "chaos.privacy_findings_objects", "value": len(result["object_leaks"]), "unit": "findings",
         "target": "== 0"},
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kill-every", default="1.0:4.0", help="seconds between kills, MIN:MAX")
    parser.add_argument("--time-limit", type=float, default=3600.0)
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args()
    low, high = (float(x) for x in args.kill_every.split(":"))
    with tempfile.TemporaryDirectory(prefix="tongban-chaos-") as tmp:
        result = chaos(args.journeys, Path(tmp), args.seed, (low, high), time_limit=args.time_limit)
    print(f"chaos: {result['begun']} journeys, {result['kills']} kills; outcomes {result['outcomes']}")
    for f in figures(result):
        target = f"(target {f['target']})" if f["target"] else ""
        print(f"  {f['name']:34} {f['value']:>8} {f['unit']:12} {target}")
    for line in (result["store_problems"] + result["leaks"] + result["object_leaks"])[:10]:
        print("  problem: " + line)
    if args.json:
        Path(args.json).write_text(json.dumps(figures(result), indent=2))
    bad = (result["lost"] or result["duplicated"] or result["unclear"] or result["store_problems"] or result["leaks"]
           or result["object_leaks"])
    return 1 if bad or not result["drained"] else 0


if __name__ == "__main__":
    sys.exit(main())
