"""Fleet console heartbeat ingest (issue 20): how many heartbeats per second the console stores with SQLite.

Starts the real ``kiosk fleet console`` process on loopback with a fresh SQLite database, registers KIOSKS
simulated kiosks, then sends heartbeats from CONNECTIONS keep-alive connections for SECONDS (the client runs in
this process, on the same 2 cores). Each 204 means the heartbeat was committed (the console answers after its
group commit). Prints heartbeats/s and checks the database holds every acknowledged heartbeat.

Run: PYTHONPATH=. python bench/console_ingest.py [--kiosks 2000] [--seconds 10] [--connections 48] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness.figures import report  # noqa: E402
from kiosk.console import fleet_sim  # noqa: E402
from kiosk.console.store import Store  # noqa: E402


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kiosks", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=48)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/console.db"
        store = Store(db)
        ids = fleet_sim.kiosk_ids(args.kiosks)
        fleet_sim.register(store, ids)
        store.close()
        kiosk = [sys.executable, "-m", "kiosk"]
        process = subprocess.Popen(
            [*kiosk, "fleet", "console", "--listen", "127.0.0.1:0", "--db", db],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            url = line.split(" on ", 1)[1].split()[0]
            warm, _ = fleet_sim.blast(url, ids[:100], seconds=1.0, connections=8)  # warm-up
            server_cpu, client_cpu = _cpu_s(process.pid), time.process_time()
            counts, elapsed = fleet_sim.blast(url, ids, seconds=args.seconds, connections=args.connections)
            server_cpu, client_cpu = _cpu_s(process.pid) - server_cpu, time.process_time() - client_cpu
        finally:
            process.terminate()
            process.wait(30)
        stored = Store(db)
        with stored.read() as conn:
            rows = conn.exec_driver_sql("SELECT COUNT(*) FROM heartbeats").scalar_one()
        stored.close()
    accepted = counts.get(204, 0)
    rate = accepted / elapsed
    figures = [
        {"name": "console_heartbeats_per_s", "value": round(rate), "unit": "heartbeats/s", "target": ">= 1000"},
        {
            "name": "console_server_cpu_per_heartbeat",
            "value": round(server_cpu / accepted * 1000, 3),
            "unit": "ms",
            "target": None,
        },
        {"name": "console_heartbeats_lost", "value": accepted + warm[204] - rows, "unit": "", "target": "== 0"},
    ]
    others = {k: v for k, v in counts.items() if k != 204}
    print(
        f"CPU: console {server_cpu:.1f} s, client {client_cpu:.1f} s; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (other jobs share them)"
    )
    print(f"{accepted} heartbeats stored in {elapsed:.1f} s from {args.kiosks} kiosks over {args.connections} "
          f"connections (other answers: {others or 'none'}); {rows} rows in the database incl. warm-up")  # fmt: skip
    return report(figures, args.json)


if __name__ == "__main__":
    sys.exit(main())
