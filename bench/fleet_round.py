"""Fleet update figures: one `poll_once` round that downloads, verifies, validates and applies a bundle, an
up-to-date round (metadata only), and `publish` on the operator side, against a loopback HTTP server.

The bundle carries a catalog folder of YAML files of about --catalog-kb KiB. Targets on a 2-core machine:
applying round ≤ 2 s, up-to-date round ≤ 0.5 s, publish ≤ 2 s.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.fleet import FleetRepo, FleetUpdater, pack


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def make_bundle(folder: Path, version: int, catalog_kb: int) -> None:
    (folder / "catalog" / "items").mkdir(parents=True)
    header = f'version = {version}\nnote = "bench v{version}"\n[settings.idle]\ntimeout_s = 120\n'
    (folder / "bundle.toml").write_text(header)
    (folder / "catalog" / "departments.yaml").write_text("departments: []\n")
    line = "  - {code: '001', name: '居民身份证换领', note: '" + "x" * 60 + "'}\n"
    per_file = max(1, 16 * 1024 // len(line.encode()))
    for index in range(max(1, catalog_kb // 16)):
        (folder / "catalog" / "items" / f"{index:03d}.yaml").write_text("items:\n" + line * per_file)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--catalog-kb", type=int, default=1024)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    apply_s, idle_s, publish_s = [], [], []
    with tempfile.TemporaryDirectory(prefix="tongban-fleet-bench-") as tmp_name:
        tmp = Path(tmp_name)
        repo = FleetRepo.init(tmp / "repo")
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(repo.path)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        kiosk = FleetUpdater(tmp / "kiosk", url, "all", repo.metadata_dir / "1.root.json")
        size = 0
        try:
            for version in range(1, args.rounds + 1):
                make_bundle(tmp / f"src{version}", version, args.catalog_kb)
                archive = tmp / f"b{version}.tar"
                pack(tmp / f"src{version}", archive)
                size = archive.stat().st_size
                started = time.perf_counter()
                repo.publish("all", archive)
                publish_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                result = kiosk.poll_once()
                apply_s.append(time.perf_counter() - started)
                assert result.outcome == "applied", result
                started = time.perf_counter()
                assert kiosk.poll_once().outcome == "up_to_date"
                idle_s.append(time.perf_counter() - started)
        finally:
            server.shutdown()
            server.server_close()
    figures = [
        {"name": "fleet_apply_round_median", "value": round(statistics.median(apply_s), 3), "unit": "s", "target": 2.0},
        {"name": "fleet_idle_round_median", "value": round(statistics.median(idle_s), 3), "unit": "s", "target": 0.5},
        {"name": "fleet_publish_median", "value": round(statistics.median(publish_s), 3), "unit": "s", "target": 2.0},
        {"name": "fleet_bundle_size", "value": size, "unit": "bytes", "target": None},
    ]
    for figure in figures:
        print(f"{figure['name']}: {figure['value']} {figure['unit']} (target {figure['target']})")
    if args.json:
        args.json.write_text(json.dumps({f["name"]: f for f in figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
