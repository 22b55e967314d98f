"""Figures for the staff core: durable audit appends per second, chain verification speed, PIN check time.

Usage: python bench/staff.py [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.audit import AuditTrail
from kiosk.staff.pins import hash_pin, verify_pin


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path)
    parser.add_argument("--records", type=int, default=300)
    args = parser.parse_args()
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        trail = AuditTrail(Path(folder) / "audit.sqlite3")
        start = time.perf_counter()
        for i in range(args.records):
            trail.record("staff.action", "op01", action="paper_replaced", n=i)
        append_ms = (time.perf_counter() - start) * 1000 / args.records
        start = time.perf_counter()
        assert trail.verify().ok
        verify_us = (time.perf_counter() - start) * 1e6 / args.records
        trail.close()
    digest = hash_pin("258147")
    start = time.perf_counter()
    assert verify_pin(digest, "258147")
    pin_ms = (time.perf_counter() - start) * 1000
    figures += [
        {"name": "audit_append_durable", "value": round(append_ms, 3), "unit": "ms/record", "target": 50},
        {"name": "audit_verify", "value": round(verify_us, 1), "unit": "us/record", "target": 1000},
        {"name": "pin_verify_argon2id", "value": round(pin_ms, 1), "unit": "ms", "target": 1000},
    ]
    for figure in figures:
        print(f"{figure['name']:<24} {figure['value']:>10} {figure['unit']:<10} (target ≤ {figure['target']})")
    if args.json:
        args.json.write_text(json.dumps({f["name"]: f for f in figures}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
