"""ID-card reader figures against the pty simulator paced at 115200 baud.

- read latency: ``read_card`` (find → select → read 30 01 → decode) with a card on the reader,
  median and p95, and the driver's overhead beyond the paced wire time of those bytes (target ≤ 20 ms);
- placed → identity_read: from ``sim.place`` to the event, with the poller at a 50 ms interval
  (includes on average half a poll interval of waiting);
- soak: consecutive reads with file descriptors, threads and resident memory compared after a warm-up
  (target: fds and threads unchanged, memory growth ≤ 1 MB).

Usage: PYTHONPATH=. python bench/idcard.py [--quick] [--json PATH]
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

from drivers.idcard import IdCardReader
from drivers.sim.idcard import IdCardSimulator

BAUD = 115200
# bytes on the wire for one read: three 10-byte commands, replies of 15 (find), 19 (select), 1295 (read)
WIRE_BYTES = 3 * 10 + 15 + 19 + 1295


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def resources() -> dict[str, float]:
    rss = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return {"fds": len(os.listdir("/proc/self/fd")), "threads": threading.active_count(), "rss": rss}


def timed_reads(reader: IdCardReader, sim: IdCardSimulator, count: int) -> list[float]:
    times = []
    for index in range(count):
        sim.place(index % len(sim.cards))
        start = time.perf_counter()
        completion = reader.read_card(timeout=5).result(10)
        times.append((time.perf_counter() - start) * 1000)
        if not completion.ok:
            raise SystemExit(f"read {index} failed: {completion.code} {completion.detail}")
    return times


def placement_latency(sim: IdCardSimulator, count: int) -> list[float]:
    reader = IdCardReader(sim.port, BAUD, poll_interval=0.05)
    events: queue.Queue = queue.Queue()
    reader.subscribe(lambda e: events.put(e) if e.kind in ("identity_read", "card_removed", "error") else None)
    reader.open()
    times = []
    try:
        for index in range(count):
            start = time.perf_counter()
            sim.place(index % len(sim.cards))
            event = events.get(timeout=10)
            if event.kind != "identity_read":
                raise SystemExit(f"placement {index}: {event.kind} {event.payload}")
            times.append((time.perf_counter() - start) * 1000)
            sim.remove()
            if events.get(timeout=10).kind != "card_removed":
                raise SystemExit(f"placement {index}: card not reported removed")
    finally:
        reader.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50 timed reads, 20 placements, 100 soak reads")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args()
    timed, placements, soak = (50, 20, 100) if args.quick else (200, 50, 1000)

    sim = IdCardSimulator(baud=BAUD).start()
    try:
        wire_ms = sim.wire_seconds(WIRE_BYTES) * 1000
        reader = IdCardReader(sim.port, BAUD, poll_interval=None)
        reader.open()
        try:
            timed_reads(reader, sim, 20)  # warm-up
            latency = timed_reads(reader, sim, timed)
            warm = resources()
            timed_reads(reader, sim, soak)
            end = resources()
        finally:
            reader.close()
        placed = placement_latency(sim, placements)
    finally:
        sim.stop()

    median = statistics.median(latency)
    figures = [
        {"name": "idcard.read.median", "value": round(median, 2), "unit": "ms", "target": None},
        {"name": "idcard.read.p95", "value": round(p95(latency), 2), "unit": "ms", "target": None},
        {"name": "idcard.read.wire_time", "value": round(wire_ms, 2), "unit": "ms", "target": None},
        {"name": "idcard.read.overhead_median", "value": round(median - wire_ms, 2), "unit": "ms", "target": "<= 20"},
        {"name": "idcard.read.overhead_p95", "value": round(p95(latency) - wire_ms, 2), "unit": "ms",
         "target": "<= 20"},
        {"name": "idcard.placed_to_identity.median", "value": round(statistics.median(placed), 2), "unit": "ms",
         "target": None},
        {"name": "idcard.placed_to_identity.p95", "value": round(p95(placed), 2), "unit": "ms", "target": None},
        {"name": "idcard.soak.reads", "value": soak, "unit": "reads", "target": None},
        {"name": "idcard.soak.fd_growth", "value": end["fds"] - warm["fds"], "unit": "fds", "target": "== 0"},
        {"name": "idcard.soak.thread_growth", "value": end["threads"] - warm["threads"], "unit": "threads",
         "target": "== 0"},
        {"name": "idcard.soak.rss_growth", "value": end["rss"] - warm["rss"], "unit": "KiB", "target": "<= 1024"},
    ]  # fmt: skip
    print(f"ID-card reader over a pty at {BAUD} baud: {timed} timed reads, {placements} placements (poll 50 ms), "
          f"{soak} soak reads")  # fmt: skip
    for figure in figures:
        target = f"(target {figure['target']})" if figure["target"] else ""
        print(f"  {figure['name']:34} {figure['value']:>10} {figure['unit']:8} {target}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
