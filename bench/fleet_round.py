"""Fleet update figures: one `poll_once` round that downloads, verifies, validates and applies a bundle, an
up-to-date round (metadata only), and `publish` on the operator side, against a loopback HTTP server.

The bundle carries a catalog folder of YAML files of about --catalog-kb KiB. Targets on a 2-core machine:
applying round ≤ 2 s, up-to-date round ≤ 0.5 s, publish ≤ 2 s.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness.figures import report
from kiosk.fleet import FleetRepo, FleetUpdater, pack
from kiosk.paths import config_dir


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def make_bundle(folder: Path, version: int, catalog_kb: int) -> None:
    """A bundle whose catalog is the packaged one grown to about ``catalog_kb`` KiB with valid copies of its
    items (each copy's item codes renumbered in their last four digits, which the packaged codes leave 0000)."""
    header = f'version = {version}\nnote = "bench v{version}"\n[settings.idle]\ntimeout_s = 120\n'
    (folder).mkdir(parents=True)
    (folder / "bundle.toml").write_text(header)
    shutil.copytree(config_dir() / "catalog", folder / "catalog")
    items = folder / "catalog" / "items"
    sources = sorted(items.glob("*.yaml"))
    size, copy = sum(p.stat().st_size for p in sources), 0
    while size < catalog_kb * 1024:
        copy += 1
        for source in sources:
            text = _CODE.sub(functools.partial(_renumber, copy=copy), source.read_text("utf-8"))
            target = items / f"{source.stem}-{copy:04d}.yaml"
            target.write_text(text, "utf-8")
            size += target.stat().st_size


# an item's code (region + basic code, quoted) or its basic code (quoted or not)
_CODE = re.compile(r"(?<=code: )('?)(\d{6})?(\d{8})0000\b")


def _renumber(match: re.Match[str], copy: int) -> str:
    return f"{match[1]}{match[2] or ''}{match[3]}{copy:04d}"


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
    return report(figures, args.json)


if __name__ == "__main__":
    sys.exit(main())
