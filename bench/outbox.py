"""Outbox drain after an outage: N applications queued while the platform answers 503, then the outage ends.

Prints the time to drain, applications per second, and lost/duplicated counts (both must be 0).
Run: PYTHONPATH=. python bench/outbox.py [--count 1000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.sim.platform import Fault, PlatformSimulator
from kiosk.platform import PlatformClient
from kiosk.platform.outbox import Outbox

TOKEN, KIOSK = "bench-token", "K0001"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--outage", type=float, default=3.0, help="seconds the platform stays down after queueing")
    parser.add_argument("--json", dest="json_path", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
        sim = PlatformSimulator(Path(tmp) / "platform.sqlite3", token=TOKEN).start()
        client = PlatformClient(sim.url, TOKEN, KIOSK)
        verification = client.verify_identity(
            method="idcard", id_type="resident", id_number="110105199003071239", name="张伟"
        )
        sim.set_faults("*", Fault(error_rate=1.0, error_status=503, retry_after=0))  # the outage
        outbox = Outbox(Path(tmp) / "kiosk", client, KIOSK, backoff_base=0.5, backoff_cap=5.0)
        outbox.start()
        started = time.perf_counter()
        for seq in range(args.count):
            outbox.enqueue_application(
                [(JPEG + seq.to_bytes(4, "big"), "image/jpeg")],
                {
                    "verification_id": verification.verification_id,
                    "items": ["ITEM-001"],
                    "bundle": None,
                    "applicant": {
                        "id_type": "resident",
                        "id_number": "110105199003071239",
                        "name": "张伟",
                        "phone": "13800138000",
                        "region_code": "110105",
                    },
                    "agent": None,
                    "materials": [{"code": "photo", "provided_as": "file", "file_index": 0}],
                    "form": {"seq": seq},
                    "handling_region_code": "110105",
                },
            )
        enqueue_s = time.perf_counter() - started
        time.sleep(args.outage)
        sim.clear_faults()
        restored = time.perf_counter()
        drained = outbox.wait_idle(600)
        drain_s = time.perf_counter() - restored
        outbox.close()
        apps = sim.applications()
        sim.stop()

    seqs = Counter(a["body"]["form"]["seq"] for a in apps)
    lost = sum(1 for seq in range(args.count) if seq not in seqs)
    duplicated = sum(n - 1 for n in seqs.values() if n > 1)
    figures = [
        {
            "name": "outbox_enqueue_rate",
            "value": round(args.count / enqueue_s, 1),
            "unit": "applications/s",
            "target": None,
        },
        {"name": "outbox_drain_time", "value": round(drain_s, 2), "unit": "s", "target": None},
        {
            "name": "outbox_drain_rate",
            "value": round(args.count / drain_s, 1),
            "unit": "applications/s",
            "target": None,
        },
        {"name": "outbox_lost", "value": lost, "unit": "applications", "target": 0},
        {"name": "outbox_duplicated", "value": duplicated, "unit": "applications", "target": 0},
    ]
    print(f"{args.count} applications (1 file each) queued during a {args.outage:.0f} s outage, back-off cap 5 s")
    for figure in figures:
        print(f"  {figure['name']:<22} {figure['value']:>10} {figure['unit']}")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({f["name"]: f for f in figures}, indent=1))
    return 0 if drained and lost == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
