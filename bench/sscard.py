"""Social-security card figures through the real PC/SC stack (private pcscd + vpcd + virtual card).

- latency: card inserted → Identity (identity_read event), median and p95 over N insertions; this
  includes pcscd's presence poll (vpcd has no insertion interrupt: pcscd looks every 400 ms), so the
  driver's own share (card_inserted → identity_read) is reported too.
- leaks: insert/read/remove cycles; open file descriptors, threads and RSS of this process (and
  pcscd's descriptors) after a warm-up versus at the end.

Usage: PYTHONPATH=. python bench/sscard.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.sim.sscard import PcscEnvironment, pcsc_available
from drivers.sscard import SocialSecurityCardReader


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def fds(pid: int | str = "self") -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 timed insertions, 100 cycles")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args()
    timed, cycles = (20, 100) if args.quick else (200, 1000)
    ok, why = pcsc_available()
    if not ok:
        print(f"skipped: {why}")
        return 0
    events: queue.Queue = queue.Queue()
    to_identity: list[float] = []
    driver_share: list[float] = []
    failures = 0
    with PcscEnvironment() as env:
        reader = SocialSecurityCardReader(env.reader_pattern)
        reader.subscribe(lambda e: events.put((time.perf_counter(), e.kind)) if e.kind != "status" else None)
        reader.open()
        cards = list(env.deck)
        warm = {}
        for i in range(cycles):
            start = time.perf_counter()
            env.insert(cards[i % len(cards)])
            inserted = None
            while True:
                at, kind = events.get(timeout=10)
                if kind == "card_inserted":
                    inserted = at
                elif kind in ("identity_read", "error"):
                    break
            if kind == "error":
                failures += 1
            elif i < timed:
                to_identity.append((at - start) * 1000)
                driver_share.append((at - inserted) * 1000)
            env.remove()
            while events.get(timeout=10)[1] != "card_removed":
                pass
            if i == min(49, cycles - 1):
                warm = {"fds": fds(), "threads": threading.active_count(), "rss": rss_kib(),
                        "pcscd_fds": fds(env.pcscd_pid())}  # fmt: skip
        end = {"fds": fds(), "threads": threading.active_count(), "rss": rss_kib(), "pcscd_fds": fds(env.pcscd_pid())}
        reader.close()
    figures = [
        {"name": "sscard.insert_to_identity.median", "value": round(statistics.median(to_identity), 1), "unit": "ms",
         "target": 1000},
        {"name": "sscard.insert_to_identity.p95", "value": round(p95(to_identity), 1), "unit": "ms", "target": 1500},
        {"name": "sscard.driver_read.median", "value": round(statistics.median(driver_share), 2), "unit": "ms",
         "target": 200},
        {"name": "sscard.driver_read.p95", "value": round(p95(driver_share), 2), "unit": "ms", "target": 300},
        {"name": "sscard.cycles", "value": cycles, "unit": "cycles", "target": cycles},
        {"name": "sscard.cycle_failures", "value": failures, "unit": "count", "target": 0},
        {"name": "sscard.fd_growth", "value": end["fds"] - warm["fds"], "unit": "fds", "target": 0},
        {"name": "sscard.thread_growth", "value": end["threads"] - warm["threads"], "unit": "threads", "target": 0},
        {"name": "sscard.rss_growth", "value": end["rss"] - warm["rss"], "unit": "KiB", "target": 1024},
        {"name": "sscard.pcscd_fd_growth", "value": end["pcscd_fds"] - warm["pcscd_fds"], "unit": "fds",
         "target": 0},
    ]  # fmt: skip
    print(f"social-security card over pcscd+vpcd: {timed} timed insertions, {cycles} cycles (growth after cycle 50)")
    for f in figures:
        print(f"  {f['name']:36} {f['value']:>10} {f['unit']:8} (target {f['target']})")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
