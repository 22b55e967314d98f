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
from kiosk.i18n import N_


@dataclass(frozen=True)
class Problem:
    """One reason a group is not healthy: a message id and its values (the page translates it, the CLI does not)."""

    message: str
    values: dict[str, Any]

    def __str__(self) -> str:
        return self.message % self.values


@dataclass
class GroupRollout:
    group: str
    offered: bool = False  # the repository offers this version to the group now
    applied: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    health: list[Problem] = field(default_factory=list)  # why the group is not healthy on this version (offered only)

    def as_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "offered": self.offered,
            "applied": sorted(self.applied),
            "pending": sorted(self.pending),
            "refused": sorted(self.refused),
            "reasons": dict(self.reasons),
            "health": [str(p) for p in self.health],
            "problems": [{"message": p.message, "values": p.values} for p in self.health],
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
        for row in per_group.values():
            if row.offered:  # what `kiosk fleet promote --from <group>` would say now
                row.health = pilot_health(store, row.group, version, kiosks=kiosks, events=events)
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


def pilot_health(
    store: Store,
    group: str,
    version: int,
    *,
    kiosks: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> list[Problem]:
    """Why ``group`` is not yet healthy on ``version`` (empty: healthy, promote)."""
    problems: list[Problem] = []
    kiosks = [k for k in (store.kiosks() if kiosks is None else kiosks) if k["grp"] == group]
    if not kiosks:
        problems.append(Problem(N_("no kiosk of group %(group)s reports to the console"), {"group": group}))
    for event in store.rollout_events() if events is None else events:
        if event["version"] == version and event["action"] == "stopped":
            problems.append(Problem(N_("version %(version)s was stopped by %(actor)s: %(note)s"),
                                    {"version": version, "actor": event["actor"], "note": event["note"]}))  # fmt: skip
    for kiosk in kiosks:
        refusal = kiosk["refusal"] or {}
        if _version(kiosk["config_version"]) != version:
            if _version(refusal.get("version")) == version:
                values = {"kiosk": kiosk["id"], "version": version, "reason": refusal.get("reason", "?")}
                problems.append(Problem(N_("%(kiosk)s refused version %(version)s: %(reason)s"), values))
            else:
                problems.append(Problem(N_("%(kiosk)s still runs version %(running)s"),
                                        {"kiosk": kiosk["id"], "running": kiosk["config_version"] or "—"}))  # fmt: skip
        if kiosk["alerts"]:
            problems.append(Problem(N_("%(kiosk)s has open alerts: %(rules)s"),
                                    {"kiosk": kiosk["id"], "rules": ", ".join(kiosk["alerts"])}))  # fmt: skip
    return problems
