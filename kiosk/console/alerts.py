"""Alert rules: evaluated on every heartbeat (one kiosk's track of recent values) and by the silence sweep.

A rule is active or not after each heartbeat. An alert opens when its rule becomes active and closes when the
rule is no longer active — except ``audit_backwards``, which stays open until an operator acknowledges it (the
evidence is a single moment: the audit trail was replaced or rolled back). Acknowledging an open alert records
who has taken it on; the alert still closes by itself when the condition clears.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from kiosk.console.heartbeat import Facts
from kiosk.i18n import N_

RULES: dict[str, str] = {
    "paper_out": N_("Paper out"),
    "device_lost": N_("Device lost"),
    "outbox_stuck": N_("Outbox not draining"),
    "out_of_service": N_("Out of service"),
    "silent": N_("Silent"),
    "restart_loop": N_("Restart loop"),
    "audit_backwards": N_("Audit head went backwards"),
}
LATCHING = frozenset({"audit_backwards"})


@dataclass(frozen=True)
class Thresholds:
    silent_beats: int = 3  # silent after this many expected heartbeats are missing
    default_interval_s: float = 60.0  # expected interval until one is observed
    outbox_stuck_beats: int = 5  # outbox > 0 and not smaller for this many heartbeats
    restart_count: int = 3  # this many restarts …
    restart_window_s: float = 900.0  # … within this window


@dataclass
class Track:
    """Per-kiosk memory between heartbeats (stored as JSON with the kiosk)."""

    last_received: float = 0.0
    interval_s: float = 0.0  # smoothed gap between heartbeats
    outbox_depth: int = 0
    outbox_stuck: int = 0  # heartbeats since the outbox last shrank, while it is not empty
    restarts: int | None = None
    restart_times: list[float] = field(default_factory=list)
    audit_seq: int | None = None
    audit_hash: str = ""

    def dumps(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def loads(cls, text: str | None) -> Track:
        try:
            data = json.loads(text or "{}")
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (ValueError, TypeError):
            return cls()


def evaluate(track: Track, facts: Facts, now: float, limits: Thresholds) -> dict[str, str]:
    """Update ``track`` with one heartbeat; returns {rule: detail} for every heartbeat rule active now."""
    active: dict[str, str] = {}
    if track.last_received:
        gap = max(0.001, now - track.last_received)
        if gap <= silent_after(track, limits):  # an outage is not the kiosk's interval
            track.interval_s = gap if not track.interval_s else 0.7 * track.interval_s + 0.3 * gap
    track.last_received = now

    if facts.paper_out:
        active["paper_out"] = "printer"
    if facts.lost_devices:
        active["device_lost"] = ", ".join(f"{n}: {facts.devices[n].get('state')}" for n in facts.lost_devices)
    if not facts.in_service:
        active["out_of_service"] = facts.service_reason

    depth = facts.outbox_depth
    if depth == 0 or depth < track.outbox_depth:
        track.outbox_stuck = 0
    else:
        track.outbox_stuck += 1
    track.outbox_depth = depth
    if facts.outbox_alarm:  # the kiosk itself says sending stopped (e.g. its credentials are refused)
        active["outbox_stuck"] = f"{depth}: {facts.outbox_alarm}"
    elif track.outbox_stuck >= limits.outbox_stuck_beats:
        active["outbox_stuck"] = f"{depth}"

    if facts.restarts is not None:
        if track.restarts is not None and facts.restarts > track.restarts:
            track.restart_times.extend([now] * min(facts.restarts - track.restarts, limits.restart_count))
        track.restarts = facts.restarts
    track.restart_times = [t for t in track.restart_times if now - t <= limits.restart_window_s][
        -limits.restart_count :
    ]
    if len(track.restart_times) >= limits.restart_count:
        active["restart_loop"] = f"{len(track.restart_times)} / {int(limits.restart_window_s)} s"

    if facts.audit_seq is not None:
        if track.audit_seq is not None and (
            facts.audit_seq < track.audit_seq
            or (facts.audit_seq == track.audit_seq and facts.audit_hash != track.audit_hash)
        ):
            active["audit_backwards"] = f"{track.audit_seq} → {facts.audit_seq}"
        track.audit_seq, track.audit_hash = facts.audit_seq, facts.audit_hash
    return active


def silent_after(track: Track, limits: Thresholds) -> float:
    """Seconds without a heartbeat after which a kiosk counts as silent."""
    interval = track.interval_s or limits.default_interval_s
    return limits.silent_beats * max(1.0, interval)


def alert_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """The JSON an alert is sent and shown as."""
    return {
        k: alert[k] for k in ("id", "kiosk_id", "rule", "detail", "opened_at", "closed_at", "acked_by") if k in alert
    }
