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
hash chain is for.

Truncating the newest records (or deleting every row, or the whole file) would leave a valid shorter
chain, so the head is also anchored outside the table: after every record, ``audit.head`` (beside the
database) holds the last (seq, hash), sealed with HMAC-SHA256 under ``audit.key`` (mode 0600), written
atomically. ``verify()`` compares the chain with the sealed head and names the missing records; a writer
that opens a trail behind its sealed head first appends an ``audit.records_lost`` record saying which
records are gone, so the loss stays on the record. The head is also published in the heartbeat
(``head()``) and ``verify(expected_head=…)`` checks against such an outside copy, which catches even the
removal of all three files.

Records carry no personal data: callers pass masked or hashed forms, and ``record()`` refuses
keys that name personal fields and values that look like ID or mobile numbers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GENESIS = "0" * 64
FILE_NAME = "audit.sqlite3"
LOST_KINDS = frozenset({"audit.records_lost", "audit.anchor_lost"})

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
    missing: tuple[tuple[int, int], ...] = ()  # ranges of records known to be gone (first, last)


class AuditUnavailable(OSError):
    """The record could not be written (disk full, I/O error): nothing was recorded."""


def _seq_range(first: int, last: int) -> str:
    return f"record {first}" if first == last else f"records {first}–{last}"


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
        self.head_path = self.path.with_suffix(".head")
        self.key_path = self.path.with_suffix(".key")
        self._clock = clock
        self._lock = threading.Lock()
        if readonly:
            if not self.path.is_file():
                raise FileNotFoundError(f"no audit trail at {self.path}")
            self._key = self.key_path.read_bytes() if self.key_path.is_file() else None
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh_key = not self.key_path.exists()
        from kiosk.platform.sealing import load_or_create_key

        self._key = load_or_create_key(self.key_path)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so a record is one explicit transaction.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._anchor(fresh_key)

    # -- the sealed head ---------------------------------------------------------------------------
    def _mac(self, seq: int, digest: str) -> str:
        assert self._key is not None
        return hmac.new(self._key, f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()

    def sealed_head(self) -> tuple[int, str] | str:
        """The (seq, hash) in the sealed head file, or why it cannot be trusted (a sentence)."""
        try:
            data = json.loads(self.head_path.read_text("utf-8"))
            seq, digest, mac = int(data["seq"]), str(data["hash"]), str(data["mac"])
        except FileNotFoundError:
            return "the sealed head file is missing"
        except (OSError, ValueError, KeyError, TypeError):
            return "the sealed head file is unreadable"
        if self._key is None:
            return "the audit key is missing, the sealed head cannot be checked"
        if not hmac.compare_digest(mac, self._mac(seq, digest)):
            return "the sealed head file was altered"
        return seq, digest

    def _seal(self, seq: int, digest: str) -> None:
        """Write the head file atomically (tmp, fsync, rename). A failure leaves the previous head, which
        only lags: verify accepts a chain that continues past its sealed head."""
        tmp = self.head_path.with_name(f"{self.head_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with tmp.open("w", encoding="utf-8") as handle:
                json.dump({"seq": seq, "hash": digest, "mac": self._mac(seq, digest)}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.head_path)
        except OSError as error:
            log.error("audit head not sealed (%s); it lags until the next record", error.strerror or error)
            tmp.unlink(missing_ok=True)

    def _anchor(self, fresh_key: bool) -> None:
        """At open: is the table behind its sealed head? Then say so in the trail before anything else."""
        seq, digest = self.head()
        sealed = self.sealed_head()
        if isinstance(sealed, str) and fresh_key and self.head_path.exists():
            sealed = "the audit key was replaced"
        if isinstance(sealed, str):
            if fresh_key:  # a new trail, or one from before sealed heads: anchor it now
                self._seal(seq, digest)
                return
            log.error("audit trail: %s", sealed)
            self.record("audit.anchor_lost", "system", reason=sealed, head_seq=seq)
            return
        sealed_seq, sealed_hash = sealed
        if sealed_seq > seq:
            log.error("audit trail: %s missing (sealed head %s)", _seq_range(seq + 1, sealed_seq), sealed_seq)
            self.record("audit.records_lost", "system", first=seq + 1, last=sealed_seq, sealed_hash=sealed_hash[:16])
        elif sealed_seq and self._hash_at(sealed_seq) != sealed_hash:
            log.error("audit trail: record %s differs from the sealed head", sealed_seq)
            self.record("audit.anchor_lost", "system", reason=f"record {sealed_seq} differs from the sealed head",
                        head_seq=seq)  # fmt: skip
        elif sealed_seq < seq:
            self._seal(seq, digest)  # the last record's seal did not reach the disk

    def _hash_at(self, seq: int) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT hash FROM audit WHERE seq=?", (seq,)).fetchone()
        return row[0] if row else None

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
            except sqlite3.OperationalError as error:  # full disk, I/O error, locked past the timeout
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise AuditUnavailable(f"audit record not written: {error}") from error
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._seal(seq, entry.digest())
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

    def verify(self, expected_head: tuple[int, str] | None = None) -> VerifyResult:
        """Walk the chain, then hold it against the sealed head (and ``expected_head``, an outside copy such
        as the last heartbeat's): the first record that breaks it, or which records are missing."""
        chain = self._verify_chain()
        if not chain.ok:
            return chain
        seq, _ = self.head()
        lost = self.tail_of_kinds(LOST_KINDS)
        missing = tuple((int(r.fields["first"]), int(r.fields["last"])) for r in lost if "first" in r.fields)
        sealed = self.sealed_head()
        anchors: list[tuple[str, tuple[int, str] | str]] = [("sealed head", sealed)]
        if expected_head is not None:
            anchors.append(("expected head", expected_head))
        for name, anchor in anchors:
            if isinstance(anchor, str):
                if seq or name != "sealed head" or "missing" not in anchor:  # an empty new trail has none yet
                    return VerifyResult(False, chain.count, None, anchor[0].upper() + anchor[1:], missing)
                continue
            anchor_seq, anchor_hash = anchor
            if anchor_seq > seq:
                what = "every record" if seq == 0 else f"the newest {_seq_range(seq + 1, anchor_seq)}"
                return VerifyResult(False, chain.count, seq + 1,
                                    f"{what} missing (the {name} is record {anchor_seq}; truncated or deleted)",
                                    (*missing, (seq + 1, anchor_seq)))  # fmt: skip
            if anchor_seq and self._hash_at(anchor_seq) != anchor_hash:
                reason = f"record {anchor_seq} is not the one in the {name} (replaced)"
                return VerifyResult(False, chain.count, anchor_seq, reason, missing)
        if lost:
            said = "; ".join(
                f"{_seq_range(int(r.fields['first']), int(r.fields['last']))} lost, noted as record {r.seq}"
                if "first" in r.fields else f"{r.fields.get('reason', 'anchor lost')} (noted as record {r.seq})"
                for r in lost
            )  # fmt: skip
            return VerifyResult(False, chain.count, lost[0].seq, said, missing)
        return chain

    def tail_of_kinds(self, kinds: frozenset[str]) -> list[Record]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT body FROM audit WHERE json_extract(body, '$.kind') IN ({','.join('?' * len(kinds))}) "
                "ORDER BY seq",
                tuple(sorted(kinds)),
            ).fetchall()
        return [decode(body) for (body,) in rows]

    def _verify_chain(self) -> VerifyResult:
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
