"""bench/run_all.py: every benchmark is listed, targets are read and judged, both JSON shapes are gathered."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_run_all", ROOT / "bench" / "run_all.py")
run_all = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = run_all  # dataclasses look their module up
_spec.loader.exec_module(run_all)


def test_every_script_in_bench_is_run():
    scripts = {p.stem for p in (ROOT / "bench").glob("*.py")} - {"run_all"}
    assert scripts == {b.name for b in run_all.BENCHMARKS}


@pytest.mark.parametrize(
    ("value", "target", "verdict"),
    [
        (41.1, "<= 60", True),
        (61, "<= 60", False),
        (29.1, ">= 15", True),
        (10, ">= 15", False),
        (0, "== 0", True),
        (1, "== 0", False),
        (-3, 0, True),  # a bare number is "at most": thread growth −3 meets 0
        (1.2, 1.0, False),
        (5, None, None),
        (5, "", None),
        ("n/a", "<= 3", None),
        (1000, 1000, True),
        (0.5, "≤ 1", True),
    ],
)
def test_targets_are_judged(value, target, verdict):
    assert run_all.met(value, target) is verdict


def test_unreadable_target_is_refused():
    with pytest.raises(ValueError):
        run_all.parse_target("fast")


def test_list_and_dict_shapes_are_gathered():
    figure = {"name": "a", "value": 1, "unit": "ms", "target": 2}
    assert run_all.normalise([figure]) == run_all.normalise({"a": figure}) == [figure]
    with pytest.raises(ValueError):
        run_all.normalise([{"value": 1}])


REPORT = {"generated": "2026-11-22T20:00:00+00:00", "full": ["x"], "machine": {"cores": 2, "memory_gb": 4,
          "python": "3.11", "system": "Linux", "commit": "abc"}, "results": [
    {"bench": "x", "args": [], "status": "ok", "seconds": 1.0, "figures": [
        {"name": "x.fast", "value": 3, "unit": "ms", "target": "<= 2", "met": False},
        {"name": "x.small", "value": 1, "unit": "MB", "target": 2, "met": True}]},
    {"bench": "y", "args": [], "status": "timeout", "seconds": 9.0, "figures": []}]}  # fmt: skip


def test_readme_table_replaces_only_its_own_block():
    readme = "# Tongban\n\n## Figures\n\n<!-- bench:begin -->\nold table\n<!-- bench:end -->\n\n## Next\n"
    table = run_all.readme_table(REPORT)
    updated = run_all.with_table(readme, table)
    assert "old table" not in updated and updated.startswith("# Tongban\n\n## Figures\n\n<!-- bench:begin -->\n")
    assert updated.endswith("<!-- bench:end -->\n\n## Next\n")
    assert "| x.fast | 3 ms | ≤ 2 | **no** |" in updated and "| x.small | 1 MB | ≤ 2 | yes |" in updated
    assert "1 of 2 targets met; benchmarks that did not finish cleanly: y." in updated
    assert "[bench/RESULTS.md](bench/RESULTS.md)" in updated
    assert run_all.with_table(updated, table) == updated  # rewriting is stable
    assert run_all.with_table("# No markers\n", table).endswith(f"{table}\n<!-- bench:end -->\n")


def test_markdown_names_missed_targets():
    report = {"generated": "now", "full": [], "machine": {"cores": 2, "memory_gb": 4, "python": "3.11",
              "system": "Linux", "commit": "abc"}, "results": [
        {"bench": "x", "args": [], "status": "ok", "seconds": 1.0, "figures": [
            {"name": "x.fast", "value": 3, "unit": "ms", "target": "<= 2", "met": False},
            {"name": "x.small", "value": 1, "unit": "MB", "target": 2, "met": True}]}]}  # fmt: skip
    text = run_all.markdown(report)
    assert "**1 of 2 targets met**; missed: x.fast." in text
    assert "| x.fast | 3 | ms | ≤ 2 | **no** |" in text


def test_merge_keeps_benchmarks_not_rerun_with_their_own_commit():
    old = {**REPORT, "full": ["x"], "results": [
        {"bench": "startup", "args": [], "status": "ok", "seconds": 1.0, "figures": []},
        {"bench": "soak", "args": ["--journeys", "1000"], "status": "ok", "seconds": 5.0, "figures": []}]}  # fmt: skip
    when = {"generated": "2026-11-23T01:00:00+00:00", "commit": "def"}
    new = {"generated": when["generated"], "full": ["soak"], "machine": {**REPORT["machine"], "commit": "def"},
           "results": [{"bench": "soak", "args": ["--journeys", "10000"], "status": "ok", "seconds": 9.0,
                        "figures": [], "measured": when}]}  # fmt: skip
    report = run_all.merged(old, new)
    assert [r["bench"] for r in report["results"]] == ["startup", "soak"]  # the order of BENCHMARKS
    assert report["results"][1]["args"] == ["--journeys", "10000"]  # the rerun replaces the old run
    assert report["results"][0]["measured"] == {"generated": REPORT["generated"], "commit": "abc"}
    assert report["full"] == ["soak", "x"]
    text = run_all.markdown(report)
    assert "commits `abc`, `def` (per benchmark in bench/RESULTS.md)" in text
    assert "| startup | `(defaults)` | ok | 1.0 | 2026-11-22, `abc` |" in text
    assert "| soak | `--journeys 10000` | ok | 9.0 | 2026-11-23, `def` |" in text
    assert "commits `abc`, `def`" in run_all.readme_table(report)
