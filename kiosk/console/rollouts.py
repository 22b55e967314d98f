"""Staged rollouts: which kiosks run which bundle version, per group; is the pilot healthy; promote or stop.

The fleet repository (kiosk/fleet/repo.py) says what each group is offered; kiosks' heartbeats say what they
run (``config_version``) and what they refused (``fleet.last_refusal``); ``rollout_events`` records promotions
and stops. A version is *applied* on a kiosk reporting it, *refused* on one whose last refusal names it, and
*pending* on the other kiosks of a group offered it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.console.store import Store


@dataclass
class GroupRollout:
    group: str
    offered: bool = False  # the repository offers this version to the group now
    applied: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "offered": self.offered,
            "applied": sorted(self.applied),
            "pending": sorted(self.pending),
            "refused": sorted(self.refused),
            "reasons": dict(self.reasons),
        }


def offered_versions(repo: Path | None) -> dict[str, int]:
    """group → the bundle version the repository offers it ({} without a repository)."""
    if repo is None:
        return {}
    from kiosk.fleet.repo import FleetRepo

    return {info.group: info.version for info in FleetRepo(repo).groups()}


def _version(text: Any) -> int | None:
    try:
        return int(str(text))
    except ValueError:
        return None


def rollouts(store: Store, repo: Path | None = None) -> list[dict[str, Any]]:
    """Per bundle version (newest first): its state and, per group, applied / pending / refused with reasons."""
    kiosks = store.kiosks()
    offered = offered_versions(repo)
    events = store.rollout_events()
    versions: set[int] = set(offered.values()) | {e["version"] for e in events}
    for kiosk in kiosks:
        for value in (kiosk["config_version"], (kiosk["refusal"] or {}).get("version")):
            if (number := _version(value)) is not None:
                versions.add(number)
    groups = sorted({k["grp"] for k in kiosks} | set(offered))
    out = []
    for version in sorted(versions, reverse=True):
        per_group = {g: GroupRollout(g, offered=offered.get(g) == version) for g in groups}
        for kiosk in kiosks:
            row = per_group[kiosk["grp"]]
            refusal = kiosk["refusal"] or {}
            if _version(kiosk["config_version"]) == version:
                row.applied.append(kiosk["id"])
            elif _version(refusal.get("version")) == version:
                row.refused.append(kiosk["id"])
                row.reasons[str(refusal.get("reason") or "?")[:200]] += 1
            elif row.offered:
                row.pending.append(kiosk["id"])
        mine = [e for e in events if e["version"] == version]
        stopped = next((e for e in reversed(mine) if e["action"] == "stopped"), None)
        out.append(
            {
                "version": version,
                "state": "stopped" if stopped else ("offered" if version in offered.values() else "not offered"),
                "stopped": stopped,
                "events": mine,
                "groups": [r.as_json() for r in per_group.values() if r.offered or r.applied or r.refused],
            }
        )
    return out


def pilot_health(store: Store, group: str, version: int) -> list[str]:
    """Why ``group`` is not yet healthy on ``version`` (empty: healthy, promote)."""
    problems = []
    kiosks = [k for k in store.kiosks() if k["grp"] == group]
    if not kiosks:
        problems.append(f"no kiosk reports to the console in group {group!r}")
    for event in store.rollout_events():
        if event["version"] == version and event["action"] == "stopped":
            problems.append(f"version {version} was stopped by {event['actor']}: {event['note']}")
    for kiosk in kiosks:
        refusal = kiosk["refusal"] or {}
        if _version(kiosk["config_version"]) != version:
            if _version(refusal.get("version")) == version:
                problems.append(f"{kiosk['id']} refused version {version}: {refusal.get('reason', '?')}")
            else:
                problems.append(f"{kiosk['id']} still runs {kiosk['config_version'] or 'nothing reported'}")
        if kiosk["alerts"]:
            problems.append(f"{kiosk['id']} has open alerts: {', '.join(kiosk['alerts'])}")
    return problems
