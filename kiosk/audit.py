"""The audit trail: an append-only, hash-chained record of staff actions, configuration changes,
lockouts and device faults.

Each record's hash is SHA-256 over the canonical JSON of the record (sequence number, time, kind,
actor, fields and the previous record's hash), so editing, deleting or reordering a record breaks
the chain at that record and ``verify()`` names it.

Storage is SQLite in WAL mode with ``synchronous=FULL``: every ``record()`` is one transaction that
is on disk when it returns, a power cut leaves either the whole record or none of it (no torn line
to repair, unlike a JSON-lines file), and ``BEGIN IMMEDIATE`` serialises writers across threads and
processes so two writers can never chain onto the same predecessor. Triggers refuse UPDATE and
DELETE so a bug cannot rewrite history; a person with the file can drop them, which is what the
hash chain is for. Truncating the newest records leaves a valid shorter chain: publish ``head()``
(e.g. in the heartbeat) to detect that against an outside copy.

Records carry no personal data: callers pass masked or hashed forms, and ``record()`` refuses
keys that name personal fields and values that look like ID or mobile numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
FILE_NAME = "audit.sqlite3"

#: Keys that always hold personal data; pass a masked form under another key (e.g. ``id_masked``).
PERSONAL_KEYS = frozenset(
    {
        "name",
        "person_name",
        "name_en",
        "agent_name",
        "id_number",
        "agent_id_number",
        "social_security_number",
        "phone",
        "mobile",
        "address",
        "birth_date",
        "photo",
        "face",
        "fingerprint",
        "pin",
        "password",
    }
)
# An unmasked 18-digit (or old 15-digit) ID number or a mainland mobile number anywhere in a value.
_PERSONAL_VALUE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15}|1[3-9]\d{9})(?![0-9A-Za-z])")
_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_MAX_RECORD_BYTES = 8192

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
"""


class PersonalDataError(ValueError):
    """A field looked like personal data; the record was not written."""


class AuditFormatError(ValueError):
    """A stored record could not be decoded."""


@dataclass(frozen=True)
class Record:
    seq: int
    at: str  # UTC, ISO 8601 with milliseconds
    kind: str
    actor: str
    fields: Mapping[str, Any]
    prev: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "actor": self.actor,
            "fields": dict(self.fields),
            "prev": self.prev,
        }

    def encode(self) -> str:
        return canonical(self.body())

    def digest(self) -> str:
        return hashlib.sha256(self.encode().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int  # records checked
    first_broken_seq: int | None = None
    reason: str = ""


def canonical(value: Any) -> str:
    """The one JSON form that is hashed: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def decode(body: str) -> Record:
    """Parse a stored record body; anything malformed raises AuditFormatError."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise AuditFormatError(f"not JSON: {error}") from None
    if not isinstance(data, dict) or set(data) != {"seq", "at", "kind", "actor", "fields", "prev"}:
        raise AuditFormatError("not an audit record object")
    seq, at, kind, actor, fields, prev = (data[k] for k in ("seq", "at", "kind", "actor", "fields", "prev"))
    if type(seq) is not int or seq < 1:
        raise AuditFormatError("seq must be a positive integer")
    if not all(isinstance(v, str) for v in (at, kind, actor, prev)):
        raise AuditFormatError("at, kind, actor and prev must be strings")
    if not isinstance(fields, dict):
        raise AuditFormatError("fields must be an object")
    if not re.fullmatch(r"[0-9a-f]{64}", prev):
        raise AuditFormatError("prev must be 64 lowercase hex digits")
    return Record(seq, at, kind, actor, fields, prev)


def check_no_personal_data(fields: Mapping[str, Any], actor: str = "") -> None:
    """Raise PersonalDataError for a personal key, an ID/mobile-looking value, or a non-JSON value."""

    def walk(value: Any, where: str) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if not isinstance(key, str):
                    raise PersonalDataError(f"{where}: keys must be strings")
                if key.lower() in PERSONAL_KEYS:
                    raise PersonalDataError(f"{where}.{key}: personal field; pass a masked or hashed form")
                walk(inner, f"{where}.{key}")
        elif isinstance(value, list | tuple):
            for index, inner in enumerate(value):
                walk(inner, f"{where}[{index}]")
        elif isinstance(value, str):
            if _PERSONAL_VALUE.search(value):
                raise PersonalDataError(f"{where}: looks like an ID or mobile number; mask it first")
        elif isinstance(value, bool | int) or value is None:
            if isinstance(value, int) and not isinstance(value, bool) and _PERSONAL_VALUE.search(str(value)):
                raise PersonalDataError(f"{where}: looks like an ID or mobile number; mask it first")
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise PersonalDataError(f"{where}: not a finite number")
        else:
            raise PersonalDataError(f"{where}: {type(value).__name__} is not a JSON value")

    walk(dict(fields), "fields")
    if _PERSONAL_VALUE.search(actor):
        raise PersonalDataError("actor looks like an ID or mobile number")


def _utc_iso(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class AuditTrail:
    """``AuditTrail(data_dir / "audit.sqlite3").record("staff.login", "op01", result="ok") -> seq``."""

    def __init__(self, path: Path | str, clock: Callable[[], float] = time.time, readonly: bool = False) -> None:
        """``readonly`` (for the CLI) never creates the file or its schema; a missing file raises FileNotFoundError."""
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        if readonly:
            if not self.path.is_file():
                raise FileNotFoundError(f"no audit trail at {self.path}")
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so a record is one explicit transaction.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def record(self, kind: str, actor: str, **fields: Any) -> int:
        """Append one record and return its sequence number once it is durable on disk."""
        if not _KIND.match(kind):
            raise ValueError(f"audit kind {kind!r} must be dotted lowercase words, e.g. 'staff.login'")
        check_no_personal_data(fields, actor)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                last = self._db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                entry = Record(seq, _utc_iso(self._clock()), kind, actor, fields, prev)
                body = entry.encode()
                if len(body.encode("utf-8")) > _MAX_RECORD_BYTES:
                    raise ValueError(f"audit record of {len(body)} characters is too large")
                self._db.execute("INSERT INTO audit (seq, body, hash) VALUES (?, ?, ?)", (seq, body, entry.digest()))
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        return seq

    def head(self) -> tuple[int, str]:
        """(last seq, its hash): an anchor to publish so that a truncated tail can be noticed."""
        with self._lock:
            row = self._db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def _rows(self) -> Iterator[tuple[int, str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT seq, body, hash FROM audit ORDER BY seq").fetchall()
        yield from rows

    def tail(self, n: int = 20) -> list[Record]:
        """The newest ``n`` records, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM audit ORDER BY seq DESC LIMIT ?", (max(0, n),)).fetchall()
        return [decode(body) for (body,) in reversed(rows)]

    def verify(self) -> VerifyResult:
        """Walk the chain from the first record; report the first record that breaks it and why."""
        expected_seq, prev_hash, count = 1, GENESIS, 0
        for row_seq, body, stored_hash in self._rows():
            try:
                entry = decode(body)
            except AuditFormatError as error:
                return VerifyResult(False, count, row_seq, f"record {row_seq} cannot be decoded: {error}")
            if entry.seq != row_seq:
                return VerifyResult(
                    False, count, row_seq, f"record {row_seq} says it is record {entry.seq} (moved or reordered)"
                )
            if entry.digest() != stored_hash:
                return VerifyResult(False, count, row_seq, f"record {row_seq} does not match its hash (edited)")
            if row_seq != expected_seq:
                missing = f"{expected_seq}" if row_seq == expected_seq + 1 else f"{expected_seq}–{row_seq - 1}"
                return VerifyResult(
                    False, count, row_seq, f"record {row_seq} follows a gap: record {missing} missing (deleted)"
                )
            if entry.prev != prev_hash:
                return VerifyResult(
                    False,
                    count,
                    row_seq,
                    f"record {row_seq} does not chain to record {row_seq - 1} (reordered, replaced or re-hashed)",
                )
            expected_seq, prev_hash, count = row_seq + 1, stored_hash, count + 1
        return VerifyResult(True, count)
