"""Chaos: journeys while faults hit the devices and the platform and the kiosk process is SIGKILLed at random.

The platform simulator runs here (it outlives the kiosk) and cycles through 5xx, timeouts (latency beyond the
client's read timeout), dropped connections before and after processing, and 429 with Retry-After. The kiosk
side (bench/harness/chaos_worker.py) runs as a subprocess with its own device simulators and a seeded device
fault schedule (printer paper out, cover open, power cycle; ID reader silent as if unplugged, failed reads;
camera black frames). It is killed with SIGKILL at random moments and restarted, continuing with the next
resident. With ``--sscard SHARE`` that share of residents identify with their social-security card on a PC/SC
stack (pcscd + vpcd virtual reader) that this process owns, and ``--pcscd-restarts`` of those journeys have pcscd
restarted just before or in the middle of the card read (see ``PcscdKeeper`` for why pcscd lives here). After
every kill the outbox database and the audit chain are checked (SQLite integrity, chain verification); after
every journey the data folder is scanned for personal data (the worker scans its objects).

Afterwards, with the platform healthy, one more start delivers what is left. Checked: every application the
kiosk accepted reached the platform exactly once; no application twice; every resident whose journey ended got
a clear message; the kiosk came back by itself after every kill; both databases intact; no personal data leaked;
the social-security card reader answered again after every pcscd restart; no pcscd of the run is left running.
Run: PYTHONPATH=. python bench/chaos.py [--journeys 200] [--seed 7] [--kill-every 1.0:4.0] [--sscard 0.3]
     [--pcscd-restarts 0.4] [--json PATH]
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
from drivers.sim.sscard import PcscEnvironment, pcsc_available  # noqa: E402
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


def processes_naming(text: str) -> list[int]:
    """Pids of the processes whose command line contains ``text``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:  # gone meanwhile
                continue
    return pids


class PcscdKeeper:
    """The social-security card simulator's pcscd, owned by this process (never killed) for the whole run.

    Why here and not in the kiosk worker, where ``Hardware`` would start it (``devices.sscard.reader = "sim"``):
    a SIGKILL runs no cleanup, so the worker's pcscd (its own session, in a private mount namespace) would be
    orphaned on every kill, with its run and config directories. PR_SET_PDEATHSIG would not save it: the signal
    follows the *thread* that forked, and ``restart_pcscd`` runs on the virtual card's short-lived hook thread,
    so a restarted daemon would die as soon as that thread ended. And every restarted worker would first wait
    for a new pcscd (seconds on a loaded machine). A real kiosk has the same split: pcscd is a system service
    that outlives the kiosk application. So the worker is only a PC/SC client (``PCSCLITE_CSOCK_NAME``) and
    drives the card over vpcd's TCP port (``TONGBAN_VPCD_PORT``): when it is killed its card leaves the slot
    with the closed connection and pcscd drops its contexts with their socket; nothing is left to clean up.
    The worker asks for a restart with a ``pcscd-restart`` line; it runs on a thread here so kills can land
    while the daemon is down, and requests that arrive during a restart are folded into it.
    """

    def __init__(self) -> None:
        self.env = PcscEnvironment()
        self.env.start()
        self.config_dir = str(self.env.config_dir)
        self.restarts: list[float] = []  # seconds from stop to the reader listed again
        self.problems: list[str] = []
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def request(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._restart, name="pcscd-restart", daemon=True)
            self._thread.start()

    def _restart(self) -> None:
        started = time.monotonic()
        try:
            self.env.restart_pcscd()
        except RuntimeError as error:  # pcscd did not come back: the next request starts it again
            self.problems.append(f"pcscd restart failed: {error}")
            return
        self.restarts.append(time.monotonic() - started)

    def close(self) -> list[int]:
        """Stop pcscd; returns the pids of this run's pcscd processes still alive afterwards (should be none)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(60)
        self.env.stop()
        return processes_naming(self.config_dir)


class Worker:
    def __init__(self, data_dir: Path, url: str, token_file: Path, first: int, last: int, seed: int,
                 faults: bool, sscard: tuple[float, float] | None = None,
                 extra_env: dict[str, str] | None = None) -> None:  # fmt: skip
        command = [sys.executable, str(WORKER), str(data_dir), url, str(token_file), str(first), str(last), str(seed)]
        if not faults:
            command.append("--no-faults")
        if sscard is not None:
            command += ["--sscard", f"{sscard[0]}:{sscard[1]}"]
        env = {**os.environ, **(extra_env or {}), "PYTHONPATH": str(ROOT)}
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
          time_limit: float = 3600.0, platform_faults: list[Fault | None] | None = None,
          sscard: float = 0.0, pcscd_restarts: float = 0.4) -> dict:  # fmt: skip
    """``sscard``: share of residents using the social-security card (0: no PC/SC stack at all);
    ``pcscd_restarts``: share of those journeys with pcscd restarted before or during the read."""
    rng = random.Random(seed)
    scanner = PrivacyScanner(personal_data())
    data_dir = root / "kiosk"
    token_file = root / "platform.token"
    token_file.write_text("chaos-token", "utf-8")
    sim = PlatformSimulator(root / "platform.sqlite3", token="chaos-token", seed=seed)
    sim.start()
    keeper: PcscdKeeper | None = None
    pcscd_left: list[int] = []
    cards: dict[int, str] = {}  # seq → idcard / sscard
    restart_requests = 0
    reader_backs: list[float] = []  # s from a failed social-security card read until the reader answered again
    reader_lost: list[int] = []
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
    ready = False

    def handle(line: str) -> None:
        nonlocal next_seq, ready, restart_requests
        kind, _, rest = line.partition(" ")
        if kind == "ready":
            ready = True
            recoveries.append(time.monotonic() - worker.started)
        elif kind == "begin":
            seq_s, _fault, card = [*rest.split(), "idcard"][:3]
            begun.add(int(seq_s))
            cards[int(seq_s)] = card
            next_seq = int(seq_s) + 1
        elif kind == "outcome":
            seq_s, what, _printed, ref, message = rest.split(" ", 4)
            outcomes[int(seq_s)] = (what, message)
            if what == "accepted":
                accepted[int(seq_s)] = ref
            leaks.extend(str(f) for f in scanner.scan_tree(root, [*EXCLUDE, "platform.sqlite3*"]))
        elif kind == "leak":
            object_leaks.append(rest)
        elif kind == "pcscd-restart" and keeper is not None:
            restart_requests += 1
            keeper.request()
        elif kind == "reader-back":
            reader_backs.append(float(rest.split()[1]))
        elif kind == "reader-lost":
            reader_lost.append(int(rest))

    try:
        if sscard > 0:
            keeper = PcscdKeeper()
        while next_seq < journeys and time.monotonic() < deadline:
            worker = Worker(data_dir, sim.url, token_file, next_seq, journeys, rng.randrange(1 << 30), faults,
                            *(((sscard, pcscd_restarts), keeper.env.slot_env) if keeper else ()))  # fmt: skip
            kill_at = time.monotonic() + rng.uniform(*kill_every) if faults else float("inf")
            ready = False
            while True:
                if faults and time.monotonic() > kill_at and ready:
                    worker.kill()
                    kills += 1
                    store_problems += [f"after kill {kills}: {p}" for p in check_stores(data_dir)]
                    # what the worker said before it died (an outcome the resident saw, a restart request)
                    while (line := worker.lines.get(timeout=10)) is not None:
                        handle(line)
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
                handle(line)
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
        if keeper is not None:
            pcscd_left = keeper.close()
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
        "sscard_journeys": sum(1 for seq in begun if cards.get(seq) == "sscard"),
        "sscard_outcomes": {k: sum(1 for seq, (w, _) in outcomes.items() if w == k and cards.get(seq) == "sscard")
                            for k in sorted({w for seq, (w, _) in outcomes.items() if cards.get(seq) == "sscard"})},
        "pcscd_restart_requests": restart_requests,
        "pcscd_restarts": len(keeper.restarts) if keeper else 0,
        "pcscd_restart_max_s": max(keeper.restarts, default=0.0) if keeper else 0.0,
        "sscard_reader_back_max_s": max(reader_backs, default=0.0),
        "sscard_reader_lost": len(reader_lost),
        "pcscd_problems": keeper.problems if keeper else [],
        "pcscd_left": pcscd_left,
        "pcscd_config": keeper.config_dir if keeper else "",
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
        {"name": "chaos.sscard_journeys", "value": result["sscard_journeys"], "unit": "journeys", "target": None},
        {"name": "chaos.pcscd_restarts", "value": result["pcscd_restarts"], "unit": "restarts", "target": None},
        {"name": "chaos.pcscd_restart_max", "value": round(result["pcscd_restart_max_s"], 2), "unit": "s",
         "target": None},
        {"name": "chaos.sscard_reader_back_max", "value": round(result["sscard_reader_back_max_s"], 2), "unit": "s",
         "target": None},
        {"name": "chaos.sscard_reader_lost", "value": result["sscard_reader_lost"], "unit": "journeys",
         "target": "== 0"},
        {"name": "chaos.pcscd_left_running", "value": len(result["pcscd_left"]), "unit": "processes",
         "target": "== 0"},
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
    parser.add_argument("--sscard", type=float, default=0.3, help="share of residents using the social-security card")
    parser.add_argument("--pcscd-restarts", type=float, default=0.4,
                        help="share of social-security card journeys with pcscd restarted before/during the read")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args()
    low, high = (float(x) for x in args.kill_every.split(":"))
    sscard = args.sscard
    if sscard and not pcsc_available()[0]:
        print(f"chaos: no social-security card journeys: {pcsc_available()[1]}")
        sscard = 0.0
    with tempfile.TemporaryDirectory(prefix="tongban-chaos-") as tmp:
        result = chaos(args.journeys, Path(tmp), args.seed, (low, high), time_limit=args.time_limit, sscard=sscard,
                       pcscd_restarts=args.pcscd_restarts)  # fmt: skip
    print(f"chaos: {result['begun']} journeys, {result['kills']} kills; outcomes {result['outcomes']}")
    print(f"  social-security card: {result['sscard_journeys']} journeys, outcomes {result['sscard_outcomes']}; "
          f"{result['pcscd_restarts']} pcscd restarts for {result['pcscd_restart_requests']} requests")
    for f in figures(result):
        target = f"(target {f['target']})" if f["target"] else ""
        print(f"  {f['name']:34} {f['value']:>8} {f['unit']:12} {target}")
    for line in (result["store_problems"] + result["leaks"] + result["object_leaks"] + result["pcscd_problems"])[:10]:
        print("  problem: " + line)
    if args.json:
        Path(args.json).write_text(json.dumps(figures(result), indent=2))
    bad = (result["lost"] or result["duplicated"] or result["unclear"] or result["store_problems"] or result["leaks"]
           or result["object_leaks"] or result["pcscd_problems"] or result["pcscd_left"]
           or result["sscard_reader_lost"])
    return 1 if bad or not result["drained"] else 0


if __name__ == "__main__":
    sys.exit(main())
