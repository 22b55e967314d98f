"""Run every benchmark in bench/, gather their figures into bench/results.json and a table in bench/RESULTS.md.

Each benchmark is a script that prints its figures and writes them as JSON with ``--json PATH``: a list of
``{name, value, unit, target}`` (or a dict of them keyed by name). A target is a comparison: ``"<= 60"``,
``">= 15"``, ``"== 0"``; a bare number means "at most"; ``None`` or ``""`` is a figure without a target.

By default long benchmarks run in their quick mode (the social-security card's full run alone takes ~13 min,
the full soak 10,000 journeys and 300 through the UI); ``--full`` runs everything at full size, ``--full soak chaos``
only those. The README's figures table (between its ``bench:begin``/``bench:end`` markers) is rewritten too.
A benchmark that fails or times out is a row in the table too, so a broken one is never silently missing.
``--merge`` keeps the figures of benchmarks not run this time from the existing results.json (each benchmark's
row names the day and commit it was measured at), so one long benchmark can be rerun on its own.

Run: PYTHONPATH=. python bench/run_all.py [--full [NAME …]] [--only NAME …] [--skip NAME …] [--merge]
     [--timeout S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import operator
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


@dataclass(frozen=True)
class Benchmark:
    name: str  # the script is bench/<name>.py
    quick: tuple[str, ...] = ()  # arguments of the default (quick) run
    full: tuple[str, ...] = ()  # arguments with --full
    what: str = ""


# Every script in bench/ except this one must be listed here (tests/proof checks it), so a new benchmark
# cannot be left out of the table by accident.
BENCHMARKS = (
    Benchmark("startup", ("--runs", "3", "--idle", "3"), (), "kiosk start to first frame, memory after idle"),
    Benchmark("search", ("--queries", "100"), (), "catalog search per keystroke, index build"),
    Benchmark("input", (), (), "pinyin candidates per keystroke (librime), handwriting recognition (zinnia)"),
    Benchmark("idcard", ("--quick",), (), "ID-card read latency and a read soak"),
    Benchmark("sscard", ("--quick",), (), "social-security card over pcscd + vpcd"),
    Benchmark("receipt", (), (), "receipt size on paper, emulator render"),
    Benchmark("camera", ("--seconds", "3"), (), "QR, face and document analysis per frame, preview rate"),
    Benchmark("outbox", ("--count", "300"), (), "outbox drain after a platform outage"),
    Benchmark("staff", (), (), "audit append and verification, PIN hashing"),
    Benchmark("fleet_round", ("--rounds", "3"), (), "one signed configuration update round"),
    Benchmark("console_ingest", ("--seconds", "10"), (), "fleet console: heartbeats stored per second (SQLite)"),
    Benchmark("ui", (), (), "frame time scrolling 500 results, touch feedback, the demo journey"),
    Benchmark("soak", ("--journeys", "1000", "--ui-journeys", "20"), ("--journeys", "10000", "--ui-journeys", "300"),
              "resident journeys with every simulator, headless and through the UI"),
    Benchmark("chaos", ("--journeys", "40"), ("--journeys", "200"), "journeys under device/platform faults and kills"),
)

_OPS = {"<=": operator.le, ">=": operator.ge, "==": operator.eq, "<": operator.lt, ">": operator.gt}
_SHOWN = {"<=": "≤", ">=": "≥", "==": "=", "<": "<", ">": ">"}
_TARGET = re.compile(r"^\s*(<=|>=|==|<|>|≤|≥|=)?\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")


def parse_target(target: Any) -> tuple[str, float] | None:
    """A figure's target as (operator, bound), or None when the figure has none."""
    if target is None or target == "" or isinstance(target, bool):
        return None
    if isinstance(target, int | float):
        return ("<=", float(target))
    match = _TARGET.match(str(target))
    if not match:
        raise ValueError(f"unreadable target {target!r}")
    op = {"≤": "<=", "≥": ">=", "=": "=="}.get(match.group(1) or "<=", match.group(1) or "<=")
    return (op, float(match.group(2)))


def met(value: Any, target: Any) -> bool | None:
    """True or False against the target; None when there is no target or no number to compare."""
    parsed = parse_target(target)
    if parsed is None or isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    op, bound = parsed
    return _OPS[op](value, bound)


def shown_target(target: Any) -> str:
    parsed = parse_target(target)
    if parsed is None:
        return ""
    op, bound = parsed
    return f"{_SHOWN[op]} {bound:g}"


def normalise(raw: Any) -> list[dict[str, Any]]:
    """Figures from a script's JSON: a list of figures, or a dict of them keyed by name."""
    items = raw.values() if isinstance(raw, dict) else raw
    figures = []
    for item in items:
        if not isinstance(item, dict) or "name" not in item or "value" not in item:
            raise ValueError(f"not a figure: {item!r}")
        figures.append({"name": item["name"], "value": item["value"], "unit": item.get("unit", ""),
                        "target": item.get("target")})  # fmt: skip
    return figures


def run_one(bench: Benchmark, full: bool, timeout: float) -> dict[str, Any]:
    args = list(bench.full if full else bench.quick)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SDL_VIDEODRIVER": os.environ.get("SDL_VIDEODRIVER", "offscreen")}
    with tempfile.TemporaryDirectory(prefix="tongban-bench-") as tmp:
        out = Path(tmp) / "figures.json"
        command = [sys.executable, str(BENCH / f"{bench.name}.py"), *args, "--json", str(out)]
        print(f"== {bench.name} {' '.join(args)}", flush=True)
        start = time.monotonic()
        result: dict[str, Any] = {"bench": bench.name, "args": args, "what": bench.what, "figures": []}
        try:
            proc = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout, capture_output=True, text=True)
        except subprocess.TimeoutExpired:
            result.update(status="timeout", seconds=round(time.monotonic() - start, 1))
            print(f"   timed out after {timeout:.0f} s", flush=True)
            return result
        result["seconds"] = round(time.monotonic() - start, 1)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            result.update(status=f"failed (exit {proc.returncode})", error="\n".join(tail))
            print(f"   FAILED (exit {proc.returncode}):\n   " + "\n   ".join(tail), flush=True)
            # a script may still have written figures before failing (e.g. a missed zero-loss target)
            if not out.exists():
                return result
        else:
            result["status"] = "ok"
        try:
            figures = normalise(json.loads(out.read_text("utf-8")))
        except (ValueError, json.JSONDecodeError) as exc:
            result.update(status="bad figures", error=str(exc))
            return result
    for figure in figures:
        figure["met"] = met(figure["value"], figure["target"])
    result["figures"] = figures
    return result


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = ""
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kib / 1024 / 1024, 1), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "commit": commit}  # fmt: skip


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    info = report["machine"]
    figures = [f for r in report["results"] for f in r["figures"]]
    judged = [f for f in figures if f["met"] is not None]
    missed = [f for f in judged if not f["met"]]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `bench/run_all.py` on {report['generated']}: {info['cores']} cores, {info['memory_gb']} GB, "
        f"Python {info['python']}, {info['system']}, {_commits(report)}. {_mode(report)}",
        "",
        f"**{len(judged) - len(missed)} of {len(judged)} targets met**"
        + (f"; missed: {', '.join(f['name'] for f in missed)}." if missed else "."),
        "",
        "| benchmark | run | status | seconds | measured |",
        "|---|---|---|---|---|",
    ]
    for r in report["results"]:
        when = measured(report, r)
        lines.append(f"| {r['bench']} | `{' '.join(r['args']) or '(defaults)'}` | {r.get('status', '?')} | "
                     f"{r.get('seconds', '')} | {when['generated'][:10]}, `{when['commit']}` |")  # fmt: skip
    lines += ["", "| figure | value | unit | target | met? |", "|---|---:|---|---|---|"]
    for r in report["results"]:
        for f in r["figures"]:
            verdict = {True: "yes", False: "**no**", None: "–"}[f["met"]]
            lines.append(f"| {f['name']} | {_value(f['value'])} | {f['unit']} | {shown_target(f['target'])} | "
                         f"{verdict} |")  # fmt: skip
    lines += ["", "What each benchmark measures and how its figures compare is described in `docs/` "
              "(one section per part) and in `docs/proof.md` for soak and chaos.", ""]  # fmt: skip
    return "\n".join(lines)


def measured(report: dict[str, Any], result: dict[str, Any]) -> dict[str, str]:
    """When and at which commit a benchmark ran: its own record (merged reports), else the report's."""
    return result.get("measured") or {"generated": report["generated"], "commit": report["machine"]["commit"]}


def _commits(report: dict[str, Any]) -> str:
    commits = list(dict.fromkeys(measured(report, r)["commit"] for r in report["results"]))
    if len(commits) <= 1:
        return f"commit `{commits[0] if commits else report['machine']['commit']}`"
    return "commits " + ", ".join(f"`{c}`" for c in commits) + " (per benchmark in bench/RESULTS.md)"


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` with the results of benchmarks it did not run taken from ``old``, in the order of BENCHMARKS."""
    ran = {r["bench"] for r in new["results"]}
    kept = []
    for r in old.get("results", []):
        if r["bench"] not in ran:
            kept.append({**r, "measured": measured(old, r)})
    order = {b.name: i for i, b in enumerate(BENCHMARKS)}
    results = sorted([*new["results"], *kept], key=lambda r: order.get(r["bench"], len(order)))
    full = {*new["full"], *(name for name in old.get("full", []) if name not in ran)}
    return {**new, "full": sorted(full), "results": results}


def _mode(report: dict[str, Any]) -> str:
    full = report["full"]
    if not full:
        return "Every benchmark in its quick mode."
    return f"Full size: {', '.join(full)}; the others in their quick mode."


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def readme_table(report: dict[str, Any]) -> str:
    """The README's copy: every figure next to its target, and where the whole report is."""
    figures = [f for r in report["results"] for f in r["figures"]]
    judged = [f for f in figures if f["met"] is not None]
    failed = [r["bench"] for r in report["results"] if r.get("status") != "ok"]
    lines = [f"Measured by `make bench` on {report['generated'][:10]}, {report['machine']['cores']} cores, "
             f"{_commits(report)}. {_mode(report)} "
             f"{sum(bool(f['met']) for f in judged)} of {len(judged)} targets met"
             + (f"; benchmarks that did not finish cleanly: {', '.join(failed)}" if failed else "")
             + ". Whole report: [bench/RESULTS.md](bench/RESULTS.md), raw figures: `bench/results.json`.",
             "", "| figure | value | target | met? |", "|---|---:|---|---|"]  # fmt: skip
    for f in figures:
        verdict = {True: "yes", False: "**no**", None: "–"}[f["met"]]
        lines.append(f"| {f['name']} | {_value(f['value'])} {f['unit']} | {shown_target(f['target'])} | {verdict} |")
    return "\n".join(lines)


def with_table(readme: str, table: str) -> str:
    """The README with the text between the bench markers replaced (appended at the end when it has none)."""
    block = f"{BEGIN}\n{table}\n{END}"
    if BEGIN in readme and END in readme.split(BEGIN, 1)[1]:
        head, rest = readme.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    return readme.rstrip("\n") + "\n\n" + block + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", nargs="*", metavar="NAME",
                        help="full-size runs: of everything (sscard ~13 min, soak 10,000 + 300 UI journeys) or "
                             "of the benchmarks named")  # fmt: skip
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="leave these out")
    parser.add_argument("--merge", action="store_true",
                        help="keep the figures of benchmarks not run this time from the existing results.json")
    parser.add_argument("--timeout", type=float, default=10800,
                        help="seconds allowed for each benchmark (the full soak takes about two hours)")
    parser.add_argument("--out", type=Path, default=BENCH, help="folder for results.json and RESULTS.md")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md",
                        help="README whose figures table is replaced (between its bench markers); '' for none")
    args = parser.parse_args()

    known = {b.name for b in BENCHMARKS}
    full = known if args.full == [] else set(args.full or ())
    for name in [*(args.only or []), *args.skip, *full]:
        if name not in known:
            parser.error(f"unknown benchmark {name!r} (known: {', '.join(sorted(known))})")
    chosen = [b for b in BENCHMARKS if (not args.only or b.name in args.only) and b.name not in args.skip]
    results = [run_one(b, b.name in full, args.timeout) for b in chosen]
    report = {
        "generated": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "full": sorted(b.name for b in chosen if b.name in full),
        "machine": machine(),
        "results": results,
    }
    for r in results:
        r["measured"] = {"generated": report["generated"], "commit": report["machine"]["commit"]}
    previous = args.out / "results.json"
    if args.merge and previous.is_file():
        report = merged(json.loads(previous.read_text("utf-8")), report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", "utf-8")
    (args.out / "RESULTS.md").write_text(markdown(report), "utf-8")
    if str(args.readme) and args.readme.is_file():
        args.readme.write_text(with_table(args.readme.read_text("utf-8"), readme_table(report)), "utf-8")
    failed = [r["bench"] for r in results if r.get("status") != "ok"]
    print(f"wrote {args.out / 'results.json'} and {args.out / 'RESULTS.md'}"
          + (f"; failed: {', '.join(failed)}" if failed else ""))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
