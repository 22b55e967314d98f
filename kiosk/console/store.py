"""The console's database: SQLite (one file, the default) or PostgreSQL, both through one SQLAlchemy URL.

One process owns a database: its ingest thread is the only writer of heartbeats, kiosk state and alerts (see
``ingest``), so per-kiosk alert state can be kept in memory between heartbeats and the SQL stays in the subset
both engines share (``ON CONFLICT``, ``RETURNING``). Pages and the API read through their own connections
(SQLite in WAL mode: readers never wait for the writer).

Tables: kiosks (registration, token hash, latest state), heartbeats (history, pruned after the retention),
alerts, operators, sessions, rollout_events.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from kiosk.console.alerts import LATCHING, Thresholds, Track, evaluate, silent_after
from kiosk.console.heartbeat import facts

SCHEMA = """
CREATE TABLE IF NOT EXISTS kiosks (
  id TEXT PRIMARY KEY, token_hash TEXT NOT NULL, grp TEXT NOT NULL, site TEXT NOT NULL DEFAULT '',
  created_at DOUBLE PRECISION NOT NULL, last_at DOUBLE PRECISION, beats BIGINT NOT NULL DEFAULT 0,
  config_version TEXT NOT NULL DEFAULT '', software_version TEXT NOT NULL DEFAULT '',
  in_service INTEGER NOT NULL DEFAULT 1, service_reason TEXT NOT NULL DEFAULT '',
  outbox_depth INTEGER NOT NULL DEFAULT 0, last_body TEXT, track TEXT, refusal TEXT);
CREATE TABLE IF NOT EXISTS heartbeats (
  id {serial}, kiosk_id TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS heartbeats_kiosk ON heartbeats (kiosk_id, received_at);
CREATE INDEX IF NOT EXISTS heartbeats_time ON heartbeats (received_at);
CREATE TABLE IF NOT EXISTS alerts (
  id {serial}, kiosk_id TEXT NOT NULL, rule TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',
  opened_at DOUBLE PRECISION NOT NULL, closed_at DOUBLE PRECISION, acked_by TEXT, acked_at DOUBLE PRECISION);
CREATE INDEX IF NOT EXISTS alerts_kiosk ON alerts (kiosk_id, opened_at);
CREATE INDEX IF NOT EXISTS alerts_closed ON alerts (closed_at);
CREATE TABLE IF NOT EXISTS operators (
  name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, operator TEXT NOT NULL, csrf TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS rollout_events (
  id {serial}, at DOUBLE PRECISION NOT NULL, version INTEGER NOT NULL, grp TEXT NOT NULL,
  action TEXT NOT NULL, actor TEXT NOT NULL, note TEXT NOT NULL DEFAULT '');
"""
ROLES = ("viewer", "operator")
GROUP_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"


class StoreError(Exception):
    pass


def engine_for(url: str) -> Engine:
    """``sqlite:///path.db`` (or a bare path), ``postgresql://user@host:port/db``."""
    if "://" not in url:
        url = f"sqlite:///{Path(url).resolve()}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, _record: Any) -> None:
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the ingest thread
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process crash
            cursor.close()

        return engine
    if url.startswith("postgresql+psycopg://"):
        return sa.create_engine(url, pool_pre_ping=True)
    raise StoreError(f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:///FILE or postgresql://…")


def hash_token(token: str) -> str:
    # Kiosk tokens are 256 random bits: a plain hash is enough (argon2 would cap ingest at a few dozen per second).
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class _KioskMemory:
    track: Track
    open: dict[str, int]  # rule → alert id
    grp: str


@dataclass(frozen=True)
class AlertEvent:
    kind: str  # "opened" or "closed"
    alert: dict[str, Any]


class Store:
    def __init__(self, url: str, limits: Thresholds | None = None, clock: Any = time.time) -> None:
        self.url = url
        self.engine = engine_for(url)
        self.limits = limits or Thresholds()
        self.clock = clock
        self._memory: dict[str, _KioskMemory] = {}
        self._lock = threading.Lock()  # the memory: ingest thread and acknowledgements
        self._tokens: dict[str, tuple[str, float]] = {}
        self._loaded = False  # every seen kiosk's memory loaded (for the silence sweep)
        serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if self.dialect == "sqlite" else "BIGSERIAL PRIMARY KEY"
        with self.engine.begin() as conn:
            for statement in SCHEMA.format(serial=serial).split(";"):
                if statement.strip():
                    conn.exec_driver_sql(statement)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def _rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]

    # -- kiosks ----------------------------------------------------------------------------------------
    def add_kiosk(self, kiosk_id: str, group: str, site: str = "") -> str:
        """Register a kiosk (or give it a new token); returns the token, shown once."""
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO kiosks (id, token_hash, grp, site, created_at) VALUES (:id, :h, :g, :s, :t) "
                    "ON CONFLICT (id) DO UPDATE SET token_hash=excluded.token_hash, grp=excluded.grp, "
                    "site=excluded.site"
                ),
                {"id": kiosk_id, "h": hash_token(token), "g": group, "s": site, "t": self.clock()},
            )
        self._tokens.pop(kiosk_id, None)
        with self._lock:
            self._memory.pop(kiosk_id, None)
        return token

    def remove_kiosk(self, kiosk_id: str) -> bool:
        """Retire a kiosk: its registration, history and alerts go; its token stops working at once."""
        with self.engine.begin() as conn:
            removed = conn.execute(sa.text("DELETE FROM kiosks WHERE id=:id"), {"id": kiosk_id}).rowcount
            conn.execute(sa.text("DELETE FROM heartbeats WHERE kiosk_id=:id"), {"id": kiosk_id})
            conn.execute(sa.text("DELETE FROM alerts WHERE kiosk_id=:id"), {"id": kiosk_id})
        self._tokens.pop(kiosk_id, None)
        with self._lock:
            self._memory.pop(kiosk_id, None)
        return bool(removed)

    def refresh_registrations(self) -> None:
        """Take registrations changed by another process (``console-kiosk`` while the console runs): new tokens
        replace old ones, removed kiosks are forgotten. One query; the ingest thread runs it every few seconds."""
        now = time.monotonic()
        with self.read() as conn:
            tokens = {
                row.id: (row.token_hash, now - 5) for row in conn.execute(sa.text("SELECT id, token_hash FROM kiosks"))
            }
        self._tokens = tokens
        with self._lock:
            for kiosk_id in [k for k in self._memory if k not in tokens]:
                del self._memory[kiosk_id]

    def add_kiosks(self, entries: Sequence[tuple[str, str, str, str]]) -> None:
        """Bulk registration with given tokens: (id, group, site, token) — for simulated fleets and tests."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO kiosks (id, token_hash, grp, site, created_at) VALUES (:id, :h, :g, :s, :t) "
                    "ON CONFLICT (id) DO UPDATE SET token_hash=excluded.token_hash"
                ),
                [{"id": i, "h": hash_token(tok), "g": g, "s": s, "t": self.clock()} for i, g, s, tok in entries],
            )
        self._tokens.clear()

    def check_kiosk_token(self, kiosk_id: str, token: str) -> bool:
        """Is ``token`` this kiosk's? Cached; a mismatch re-reads the database at most every 5 s (rotation)."""
        now = time.monotonic()
        cached = self._tokens.get(kiosk_id)
        digest = hash_token(token)
        if cached and secrets.compare_digest(cached[0], digest):
            return True
        if cached and now - cached[1] < 5:
            return False
        rows = self._rows("SELECT token_hash FROM kiosks WHERE id=:id", id=kiosk_id)
        stored = rows[0]["token_hash"] if rows else ""
        self._tokens[kiosk_id] = (stored, now)
        return bool(stored) and secrets.compare_digest(stored, digest)

    # -- ingest (the ingest thread only) --------------------------------------------------------------
    def _remember(self, conn: Connection, kiosk_id: str) -> _KioskMemory | None:
        memory = self._memory.get(kiosk_id)
        if memory is None:
            row = conn.execute(sa.text("SELECT grp, track FROM kiosks WHERE id=:id"), {"id": kiosk_id}).first()
            if row is None:
                return None
            open_rows = conn.execute(
                sa.text("SELECT id, rule FROM alerts WHERE kiosk_id=:id AND closed_at IS NULL"), {"id": kiosk_id}
            )
            memory = _KioskMemory(Track.loads(row.track), {r.rule: r.id for r in open_rows}, row.grp)
            self._memory[kiosk_id] = memory
        return memory

    def _open(self, conn: Connection, kiosk_id: str, rule: str, detail: str, now: float) -> dict[str, Any]:
        alert_id: int = conn.execute(
            sa.text("INSERT INTO alerts (kiosk_id, rule, detail, opened_at) VALUES (:k, :r, :d, :t) RETURNING id"),
            {"k": kiosk_id, "r": rule, "d": detail[:500], "t": now},
        ).scalar_one()
        return {"id": alert_id, "kiosk_id": kiosk_id, "rule": rule, "detail": detail, "opened_at": now}

    def _close(self, conn: Connection, kiosk_id: str, rule: str, alert_id: int, now: float) -> dict[str, Any]:
        conn.execute(sa.text("UPDATE alerts SET closed_at=:t WHERE id=:id"), {"t": now, "id": alert_id})
        return {"id": alert_id, "kiosk_id": kiosk_id, "rule": rule, "closed_at": now}

    def ingest(self, batch: Sequence[tuple[str, dict[str, Any], str]]) -> list[AlertEvent]:
        """Commit heartbeats (kiosk id, valid body, raw JSON) in one transaction; returns alert changes."""
        now = self.clock()
        events: list[AlertEvent] = []
        history: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        with self._lock, self.engine.begin() as conn:
            for kiosk_id, body, raw in batch:
                memory = self._remember(conn, kiosk_id)
                if memory is None:  # deleted while its heartbeat was queued
                    continue
                seen = facts(body)
                active = evaluate(memory.track, seen, now, self.limits)
                for rule, detail in active.items():
                    if rule not in memory.open:
                        alert = self._open(conn, kiosk_id, rule, detail, now)
                        memory.open[rule] = alert["id"]
                        events.append(AlertEvent("opened", alert))
                for rule in [r for r in memory.open if r not in active and r not in LATCHING]:
                    events.append(AlertEvent("closed", self._close(conn, kiosk_id, rule, memory.open.pop(rule), now)))
                if seen.group:
                    memory.grp = seen.group
                history.append({"k": kiosk_id, "t": now, "b": raw})
                updates.append(
                    {
                        "id": kiosk_id,
                        "t": now,
                        "cv": seen.config_version,
                        "sv": seen.software_version,
                        "ins": int(seen.in_service),
                        "reason": seen.service_reason,
                        "depth": seen.outbox_depth,
                        "body": raw,
                        "track": memory.track.dumps(),
                        "refusal": json.dumps(seen.last_refusal, ensure_ascii=False) if seen.last_refusal else None,
                        "grp": memory.grp,
                    }
                )
            if history:
                conn.execute(
                    sa.text("INSERT INTO heartbeats (kiosk_id, received_at, body) VALUES (:k, :t, :b)"), history
                )
                conn.execute(
                    sa.text(
                        "UPDATE kiosks SET last_at=:t, beats=beats+1, config_version=:cv, software_version=:sv, "
                        "in_service=:ins, service_reason=:reason, outbox_depth=:depth, last_body=:body, "
                        "track=:track, refusal=COALESCE(:refusal, refusal), grp=:grp WHERE id=:id"
                    ),
                    updates,
                )
        return events

    def sweep_silent(self) -> list[AlertEvent]:
        """Open a ``silent`` alert for every kiosk whose heartbeats stopped (the ingest thread, every second)."""
        now = self.clock()
        events: list[AlertEvent] = []
        with self._lock:
            if not self._loaded:
                self._load_all()
                self._loaded = True
            due = [
                (kiosk_id, m)
                for kiosk_id, m in self._memory.items()
                if m.track.last_received
                and "silent" not in m.open
                and now - m.track.last_received > silent_after(m.track, self.limits)
            ]
            if not due:
                return events
            with self.engine.begin() as conn:
                for kiosk_id, memory in due:
                    quiet = int(now - memory.track.last_received)
                    alert = self._open(conn, kiosk_id, "silent", f"{quiet} s", now)
                    memory.open["silent"] = alert["id"]
                    events.append(AlertEvent("opened", alert))
        return events

    def _load_all(self) -> None:
        """Every kiosk's memory in two queries (at the first sweep, right after start), not two per kiosk."""
        with self.read() as conn:
            open_alerts: dict[str, dict[str, int]] = {}
            for alert in conn.execute(sa.text("SELECT id, kiosk_id, rule FROM alerts WHERE closed_at IS NULL")):
                open_alerts.setdefault(alert.kiosk_id, {})[alert.rule] = alert.id
            for row in conn.execute(sa.text("SELECT id, grp, track FROM kiosks")):
                if row.id not in self._memory:
                    self._memory[row.id] = _KioskMemory(Track.loads(row.track), open_alerts.get(row.id, {}), row.grp)

    def prune(self, retention_s: float) -> int:
        """Drop history and closed alerts older than the retention; returns the heartbeats removed."""
        cutoff = self.clock() - retention_s
        with self.engine.begin() as conn:
            removed = conn.execute(sa.text("DELETE FROM heartbeats WHERE received_at < :c"), {"c": cutoff}).rowcount
            conn.execute(sa.text("DELETE FROM alerts WHERE closed_at IS NOT NULL AND closed_at < :c"), {"c": cutoff})
            conn.execute(sa.text("DELETE FROM sessions WHERE expires_at < :n"), {"n": self.clock()})
        return int(removed or 0)

    # -- alerts ----------------------------------------------------------------------------------------
    def acknowledge(self, alert_id: int, operator: str) -> dict[str, Any] | None:
        """An operator takes an alert on; a latching alert closes with it. None when it is not open."""
        now = self.clock()
        with self._lock, self.engine.begin() as conn:
            row = conn.execute(
                sa.text("SELECT kiosk_id, rule FROM alerts WHERE id=:id AND closed_at IS NULL"), {"id": alert_id}
            ).first()
            if row is None:
                return None
            closes = row.rule in LATCHING
            conn.execute(
                sa.text(
                    "UPDATE alerts SET acked_by=:o, acked_at=:t, closed_at=CASE WHEN :c=1 THEN :t ELSE closed_at END "
                    "WHERE id=:id"
                ),
                {"o": operator, "t": now, "c": int(closes), "id": alert_id},
            )
            memory = self._memory.get(row.kiosk_id)
            if closes and memory is not None:
                memory.open.pop(row.rule, None)
        return {"id": alert_id, "kiosk_id": row.kiosk_id, "rule": row.rule, "acked_by": operator}

    def alerts(self, *, open_only: bool = True, kiosk_id: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        where = ["1=1"]
        if open_only:
            where.append("a.closed_at IS NULL")
        if kiosk_id:
            where.append("a.kiosk_id=:k")
        return self._rows(
            "SELECT a.id, a.kiosk_id, a.rule, a.detail, a.opened_at, a.closed_at, a.acked_by, a.acked_at, "
            "k.grp, k.site FROM alerts a JOIN kiosks k ON k.id = a.kiosk_id "
            f"WHERE {' AND '.join(where)} ORDER BY a.opened_at DESC, a.id DESC LIMIT :lim",
            k=kiosk_id,
            lim=limit,
        )

    # -- reading kiosks --------------------------------------------------------------------------------
    def kiosks(self) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT id, grp, site, created_at, last_at, beats, config_version, software_version, in_service, "
            "service_reason, outbox_depth, refusal FROM kiosks ORDER BY id"
        )
        open_rules: dict[str, list[str]] = {}
        for alert in self._rows("SELECT kiosk_id, rule FROM alerts WHERE closed_at IS NULL ORDER BY id"):
            open_rules.setdefault(alert["kiosk_id"], []).append(alert["rule"])
        for row in rows:
            row["alerts"] = open_rules.get(row["id"], [])
            row["state"] = state_of(row)
            row["refusal"] = json.loads(row["refusal"]) if row["refusal"] else None
            row["in_service"] = bool(row["in_service"])
        return rows

    def kiosk(self, kiosk_id: str, history: int = 50) -> dict[str, Any] | None:
        rows = [r for r in self._rows("SELECT id FROM kiosks WHERE id=:id", id=kiosk_id)]
        if not rows:
            return None
        summary = next(k for k in self.kiosks() if k["id"] == kiosk_id)
        last = self._rows("SELECT last_body FROM kiosks WHERE id=:id", id=kiosk_id)[0]["last_body"]
        summary["last"] = json.loads(last) if last else None
        beats = self._rows(
            "SELECT received_at, body FROM heartbeats WHERE kiosk_id=:id ORDER BY received_at DESC, id DESC LIMIT :n",
            id=kiosk_id,
            n=history,
        )
        summary["history"] = [{"received_at": b["received_at"], **json.loads(b["body"])} for b in beats]
        summary["alert_log"] = self.alerts(open_only=False, kiosk_id=kiosk_id, limit=50)
        return summary

    # -- operators and sessions ------------------------------------------------------------------------
    def put_operator(self, name: str, password_hash: str, role: str) -> None:
        if role not in ROLES:
            raise StoreError(f"role must be one of {', '.join(ROLES)}")
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO operators (name, password_hash, role, created_at) VALUES (:n, :h, :r, :t) "
                    "ON CONFLICT (name) DO UPDATE SET password_hash=excluded.password_hash, role=excluded.role"
                ),
                {"n": name, "h": password_hash, "r": role, "t": self.clock()},
            )
            conn.execute(sa.text("DELETE FROM sessions WHERE operator=:n"), {"n": name})  # a new password logs out

    def operator(self, name: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT name, password_hash, role FROM operators WHERE name=:n", n=name)
        return rows[0] if rows else None

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE operators SET password_hash=:h WHERE name=:n"), {"h": password_hash, "n": name}
            )

    def new_session(self, operator: str, lifetime_s: float) -> tuple[str, str]:
        """(cookie value, CSRF token); only the cookie's hash is stored."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO sessions (id, operator, csrf, expires_at) VALUES (:i, :o, :c, :e)"),
                {"i": hash_token(cookie), "o": operator, "c": csrf, "e": self.clock() + lifetime_s},
            )
        return cookie, csrf

    def session(self, cookie: str) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT s.operator, s.csrf, o.role FROM sessions s JOIN operators o ON o.name = s.operator "
            "WHERE s.id=:i AND s.expires_at > :n",
            i=hash_token(cookie),
            n=self.clock(),
        )
        return rows[0] if rows else None

    def end_session(self, cookie: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM sessions WHERE id=:i"), {"i": hash_token(cookie)})

    # -- rollouts --------------------------------------------------------------------------------------
    def rollout_event(self, version: int, group: str, action: str, actor: str, note: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO rollout_events (at, version, grp, action, actor, note) VALUES (:t, :v, :g, :a, :o, :n)"
                ),
                {"t": self.clock(), "v": version, "g": group, "a": action, "o": actor, "n": note},
            )

    def rollout_events(self) -> list[dict[str, Any]]:
        return self._rows("SELECT at, version, grp, action, actor, note FROM rollout_events ORDER BY at, id")


def state_of(kiosk: dict[str, Any]) -> str:
    """One word for the overview: never_seen, silent, out_of_service, attention (open alerts) or ok."""
    if kiosk["last_at"] is None:
        return "never_seen"
    if "silent" in kiosk["alerts"]:
        return "silent"
    if not kiosk["in_service"]:
        return "out_of_service"
    return "attention" if kiosk["alerts"] else "ok"
