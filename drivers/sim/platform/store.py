"""The simulator's SQLite persistence: verifications, files, applications, evaluations, heartbeats, idempotency.

One connection guarded by one lock: requests are serialised at the database, which is what makes
"same Idempotency-Key twice at the same moment" safe, and the creation of a record and the
remembered answer for its key are committed in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    kiosk_id TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL,
    status INTEGER NOT NULL, answer TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (kiosk_id, key));
CREATE TABLE IF NOT EXISTS verifications (
    verification_id TEXT PRIMARY KEY, token TEXT UNIQUE NOT NULL, id_number TEXT NOT NULL,
    name TEXT NOT NULL, kiosk_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    content_type TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS applications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, application_no TEXT UNIQUE NOT NULL, kiosk_id TEXT NOT NULL,
    client_reference TEXT NOT NULL, id_number TEXT NOT NULL, accepted_at REAL NOT NULL,
    handling_org TEXT NOT NULL, promised_by TEXT, body TEXT NOT NULL,
    UNIQUE (kiosk_id, client_reference));
CREATE TABLE IF NOT EXISTS status_events (
    application_no TEXT NOT NULL, at REAL NOT NULL, status TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS promise_changes (
    application_no TEXT NOT NULL, at REAL NOT NULL, old TEXT, new TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evaluations (
    evaluation_id TEXT PRIMARY KEY, application_no TEXT UNIQUE NOT NULL, kiosk_id TEXT NOT NULL,
    level INTEGER NOT NULL, body TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS service_evaluations (
    evaluation_id TEXT PRIMARY KEY, service TEXT NOT NULL, kiosk_id TEXT NOT NULL,
    level INTEGER NOT NULL, body TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS heartbeats (kiosk_id TEXT NOT NULL, at REAL NOT NULL, body TEXT NOT NULL);
"""


class Store:
    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self.lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self._db.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def remembered(self, kiosk_id: str, key: str) -> sqlite3.Row | None:
        return self.one("SELECT body_hash, status, answer FROM idempotency WHERE kiosk_id=? AND key=?", (kiosk_id, key))

    @staticmethod
    def remember(
        db: sqlite3.Connection, kiosk_id: str, key: str, body_hash: str, status: int, answer: dict, at: float
    ) -> None:
        db.execute(
            "INSERT INTO idempotency (kiosk_id, key, body_hash, status, answer, at) VALUES (?,?,?,?,?,?)",
            (kiosk_id, key, body_hash, status, json.dumps(answer, ensure_ascii=False), at),
        )

    def close(self) -> None:
        with self.lock:
            self._db.close()
