"""Search quality on labelled queries: does what a resident types put the right item or bundle first?

The labelled set (bench/search_queries.yaml) lists each query with its acceptable answers by name; a query is a
hit at k when any of them is among the first k results of ``SearchIndex.search_all``. bench/search.py reports
hit@1 and hit@3 beside the speed figures, and a test keeps the floor (hit@3 ≥ 95 %, hit@1 ≥ 85 %).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kiosk.catalog.search import BundleHit, SearchIndex

QUERIES_FILE = Path(__file__).resolve().parents[2] / "bench" / "search_queries.yaml"


@dataclass(frozen=True)
class Labelled:
    query: str
    expect: tuple[str, ...]  # acceptable answers (item or bundle names)
    kind: str


@dataclass
class Quality:
    total: int = 0
    hit1: int = 0
    hit3: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind → [count, hit@1, hit@3]
    misses: list[tuple[str, tuple[str, ...], list[str]]] = field(default_factory=list)  # not in the top 3

    @property
    def hit1_rate(self) -> float:
        return self.hit1 / self.total if self.total else 0.0

    @property
    def hit3_rate(self) -> float:
        return self.hit3 / self.total if self.total else 0.0


def load_queries(path: Path = QUERIES_FILE) -> list[Labelled]:
    data: Mapping[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Labelled(str(row["q"]), tuple(row["expect"]), str(row.get("kind", ""))) for row in data["queries"]]


def evaluate(index: SearchIndex, queries: Iterable[Labelled]) -> Quality:
    names = {item.name for item in index.catalog.items} | {b.name for b in index.catalog.bundles}
    quality = Quality()
    for labelled in queries:
        unknown = [n for n in labelled.expect if n not in names]
        if unknown:
            raise ValueError(f"{labelled.query!r}: no item or bundle named {', '.join(unknown)}")
        hits = index.search_all(labelled.query, 10)
        found = [h.bundle.name if isinstance(h, BundleHit) else h.item.name for h in hits]
        at1 = bool(found[:1]) and found[0] in labelled.expect
        at3 = any(name in labelled.expect for name in found[:3])
        quality.total += 1
        quality.hit1 += at1
        quality.hit3 += at3
        counts = quality.by_kind.setdefault(labelled.kind, [0, 0, 0])
        counts[0] += 1
        counts[1] += at1
        counts[2] += at3
        if not at3:
            quality.misses.append((labelled.query, labelled.expect, found[:3]))
    return quality
