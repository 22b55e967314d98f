"""The durable outbox: what the resident was told is "submitted" reaches the platform exactly once.

An application job (its files, then the application, each with its own Idempotency-Key) is written in
ONE SQLite transaction (WAL, synchronous=FULL) before :meth:`Outbox.enqueue_application` returns its local
reference (``K0001-7QX2M-000123``, sent as ``client_reference``). A worker thread delivers jobs; after a crash
or a restart it resumes, repeating whatever step was in flight with the same key and byte-identical body,
so the platform's idempotency turns a repeat into the first answer. Retryable failures back off
exponentially with jitter, honouring Retry-After; permanent failures are kept for staff review (list,
retry, export), never dropped; a credential alarm (401/403) stops all sending until :meth:`resume`.

Personal data (the application body, file bytes, evaluation text) is sealed with AES-GCM under a key file
made with mode 0600 in the data dir; once a job is delivered its sealed payload and files are erased and
only the reference ↔ application number mapping stays.

References are unique for the kiosk's whole life, not just for one database: each outbox database draws
a random *instance* (5 Crockford base-32 characters, 2**25 values) when it is created and keeps it, and
every reference carries it (``<kiosk id>-<instance>-<sequence>``). A reinstall, a new disk or a
quarantined database starts its sequence at 1 again under a new instance, so the platform never sees a
reused ``client_reference`` (which it would refuse as a 409 duplicate, failing the application).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import random
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag

from kiosk import clock
from kiosk.platform.client import FILE_TYPES, MAX_FILE, PlatformClient
from kiosk.platform.errors import CredentialError, PermanentError, RetryableError
from kiosk.platform.sealing import Sealer, load_or_create_key

log = logging.getLogger(__name__)

DB_NAME = "outbox.sqlite3"
KEY_NAME = "outbox.key"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('application', 'evaluation')),
    reference TEXT UNIQUE NOT NULL,
    idempotency_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    payload BLOB,
    depends_on INTEGER REFERENCES jobs(id),
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    result TEXT,
    finished_at REAL);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS job_files (
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    idx INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB,
    file_id TEXT,
    PRIMARY KEY (job_id, idx));
"""


@dataclass(frozen=True)
class Attachment:
    data: bytes
    content_type: str


@dataclass(frozen=True)
class JobInfo:
    """What staff screens and the UI may see of a job: no personal data."""

    id: int
    kind: str
    reference: str
    state: str
    attempts: int
    created_at: float
    next_attempt_at: float
    last_error: str | None
    result: dict[str, Any] | None

    @property
    def application_no(self) -> str | None:
        return (self.result or {}).get("application_no")


@dataclass(frozen=True)
class OutboxEvent:
    """``delivered`` (result has application_no …), ``failed`` (permanent, error) or ``alarm`` (credentials)."""

    type: str
    job: JobInfo | None
    error: str | None = None


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing a resident can misread


def new_instance() -> str:
    """A fresh outbox instance: 5 random Crockford base-32 characters."""
    return "".join(secrets.choice(_CROCKFORD) for _ in range(5))


def _now_iso() -> str:
    return clock.now().isoformat(timespec="seconds")


class Outbox:
    def __init__(
        self,
        data_dir: str | Path,
        client: PlatformClient,
        kiosk_id: str,
        *,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.client = client
        self.kiosk_id = kiosk_id
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self._random = rng or random.Random()
        self._sealer = Sealer(load_or_create_key(self.data_dir / KEY_NAME))
        self._db = sqlite3.connect(str(self.data_dir / DB_NAME), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # "queued" must survive a power cut
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self.instance = self._instance()
        self._wake = threading.Condition(threading.Lock())
        self._changed = threading.Condition(threading.Lock())
        self._listeners: list[Callable[[OutboxEvent], None]] = []
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._woken = False
        self._busy = False  # a job is in hand: its listeners have not all run yet
        self._alarm: str | None = None
        self._failures_in_a_row = 0
        self._pause_until = 0.0

    # -- queueing -------------------------------------------------------------------------------------------

    def enqueue_application(self, files: Sequence[Attachment | tuple[bytes, str]], application: dict[str, Any]) -> str:
        """Queue one application with its files; returns the local reference once it is durably committed.

        In ``application["materials"]`` a material refers to a queued file by ``"file_index": i`` (or
        ``"signature_file_index": i`` for a commitment's signature); the outbox puts the platform's
        ``file_id`` / ``signature_file_id`` in their place. ``kiosk_id``, ``client_reference`` and
        ``submitted_at`` are filled in here.
        """
        attachments = [f if isinstance(f, Attachment) else Attachment(*f) for f in files]
        for index, attachment in enumerate(attachments):
            if attachment.content_type not in FILE_TYPES:
                raise ValueError(f"file {index}: content type {attachment.content_type!r} not accepted")
            if not attachment.data or len(attachment.data) > MAX_FILE:
                raise ValueError(f"file {index}: {len(attachment.data)} bytes; must be 1..{MAX_FILE}")
        body = copy.deepcopy(application)
        for material in body.get("materials", []):
            for key in ("file_index", "signature_file_index"):
                if key in material and not (isinstance(material[key], int) and 0 <= material[key] < len(attachments)):
                    raise ValueError(f"material {material.get('code')!r}: {key} out of range")
        with self._transaction() as db:
            reference = f"{self.kiosk_id}-{self.instance}-{self._next(db, 'application'):06d}"
            body.update(kiosk_id=self.kiosk_id, client_reference=reference)
            body.setdefault("submitted_at", _now_iso())
            job_id = self._insert_job(db, "application", reference, body, None)
            for index, attachment in enumerate(attachments):
                db.execute(
                    "INSERT INTO job_files (job_id, idx, idempotency_key, content_type, size, data) "
                    "VALUES (?,?,?,?,?,?)",
                    (
                        job_id,
                        index,
                        str(uuid.uuid4()),
                        attachment.content_type,
                        len(attachment.data),
                        self._sealer.seal(attachment.data, f"file:{reference}:{index}"),
                    ),
                )
        self._notify()
        return reference

    def enqueue_evaluation(
        self,
        level: int,
        reasons: Sequence[str] = (),
        comment: str = "",
        *,
        application_no: str | None = None,
        local_reference: str | None = None,
        service: str = "application",
        item_code: str | None = None,
    ) -> str:
        """Queue a 好差评 for an application, by its number or, while it is still queued, by its local reference;
        or (``service`` "guide" with the ``item_code``, "progress" with the number looked up if any) of a service
        that has no application of its own."""
        from kiosk.applications.progress import evaluation_problem  # the one 好差评 rule

        problem = evaluation_problem(level, reasons)
        if problem is not None:
            raise ValueError(problem)
        if service != "application":
            if service not in ("guide", "progress") or local_reference is not None:
                raise ValueError("a service evaluation is guide or progress, without a local reference")
            if service == "guide" and not item_code:
                raise ValueError("a guide evaluation names its item")
            with self._transaction() as db:
                reference = f"{self.kiosk_id}-{self.instance}-E{self._next(db, 'evaluation'):06d}"
                payload = {"service": service, "item_code": item_code, "application_no": application_no,
                           "level": level, "reasons": list(reasons), "comment": comment}  # fmt: skip
                self._insert_job(db, "evaluation", reference, payload, None)
            self._notify()
            return reference
        if (application_no is None) == (local_reference is None):
            raise ValueError("give exactly one of application_no and local_reference")
        with self._transaction() as db:
            depends_on = None
            if local_reference is not None:
                row = db.execute(
                    "SELECT id, state, result FROM jobs WHERE reference=? AND kind='application'", (local_reference,)
                ).fetchone()
                if row is None:
                    raise KeyError(local_reference)
                if row["state"] == "delivered":
                    application_no = json.loads(row["result"])["application_no"]
                else:
                    depends_on = row["id"]
            reference = f"{self.kiosk_id}-{self.instance}-E{self._next(db, 'evaluation'):06d}"
            payload = {"application_no": application_no, "level": level, "reasons": list(reasons), "comment": comment}
            self._insert_job(db, "evaluation", reference, payload, depends_on)
        self._notify()
        return reference

    def _insert_job(
        self, db: sqlite3.Connection, kind: str, reference: str, payload: dict, depends_on: int | None
    ) -> int:
        sealed = self._sealer.seal(json.dumps(payload, ensure_ascii=False).encode(), f"job:{reference}")
        cursor = db.execute(
            "INSERT INTO jobs (kind, reference, idempotency_key, state, payload, depends_on, created_at) "
            "VALUES (?,?,?,'pending',?,?,?)",
            (kind, reference, str(uuid.uuid4()), sealed, depends_on, time.time()),
        )
        return int(cursor.lastrowid or 0)

    def _instance(self) -> str:
        """This database's instance, drawn once in the same transaction that stores it."""
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE name='instance'").fetchone()
            if row is not None:
                return str(row[0])
            instance = new_instance()
            db.execute("INSERT INTO meta (name, value) VALUES ('instance', ?)", (instance,))
        log.info("new outbox database: references are %s-%s-NNNNNN", self.kiosk_id, instance)
        return instance

    @staticmethod
    def _next(db: sqlite3.Connection, name: str) -> int:
        db.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value=value+1", (name,)
        )
        return int(db.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()[0])

    # -- staff and UI views ----------------------------------------------------------------------------------

    def pending(self) -> list[JobInfo]:
        return self._jobs("state='pending'")

    def failed(self) -> list[JobInfo]:
        return self._jobs("state='failed'")

    def delivered(self) -> list[JobInfo]:
        return self._jobs("state='delivered'")

    def depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM jobs WHERE state='pending'").fetchone()[0])

    def lookup(self, reference: str) -> JobInfo | None:
        jobs = self._jobs("reference=?", (reference,))
        return jobs[0] if jobs else None

    @property
    def alarm(self) -> str | None:
        """Why sending is stopped (credentials refused), or None."""
        return self._alarm

    def retry(self, job_id: int) -> None:
        """Staff: put a failed (or waiting) job back to be sent now, with its original Idempotency-Key."""
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE jobs SET state='pending', attempts=0, next_attempt_at=0, finished_at=NULL "
                "WHERE id=? AND state IN ('failed', 'pending')",
                (job_id,),
            ).rowcount
        if not changed:
            raise KeyError(f"no failed or pending job {job_id}")
        log.info("outbox job %s put back for delivery by staff", job_id)
        self._notify()

    def resume(self) -> None:
        """Staff: credentials fixed, start sending again."""
        self._alarm = None
        self._failures_in_a_row = 0
        self._pause_until = 0.0
        self._notify()

    def export_failed(self, path: str | Path) -> int:
        """Write the failed jobs, decrypted, as JSON (mode 0600) for staff to handle by hand; returns how many."""
        out = []
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs WHERE state='failed' ORDER BY id").fetchall()
            for row in rows:
                files = self._db.execute(
                    "SELECT idx, content_type, size, file_id FROM job_files WHERE job_id=? ORDER BY idx", (row["id"],)
                ).fetchall()
                out.append(
                    {
                        "id": row["id"],
                        "kind": row["kind"],
                        "reference": row["reference"],
                        "created_at": clock.local(row["created_at"]).isoformat(timespec="seconds"),
                        "attempts": row["attempts"],
                        "error": row["last_error"],
                        "payload": self._payload(row),
                        "files": [dict(f) for f in files],
                    }
                )
        path = Path(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(out, handle, ensure_ascii=False, indent=1)
        os.chmod(path, 0o600)
        return len(out)

    def add_listener(self, callback: Callable[[OutboxEvent], None]) -> None:
        """Called on the worker thread for each delivered/failed/alarm event (the UI hops to its own thread)."""
        self._listeners.append(callback)

    # -- worker ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread:
            return
        with self._transaction() as db:  # after a restart, try at once whatever was waiting out a back-off
            db.execute("UPDATE jobs SET next_attempt_at=0 WHERE state='pending'")
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        self._notify()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        with self._lock:
            self._db.close()
        self.client.close()

    def kick(self) -> None:
        """The network is back (e.g. a heartbeat got through): stop waiting out the back-off."""
        self._pause_until = 0.0
        with self._transaction() as db:
            db.execute("UPDATE jobs SET next_attempt_at=0 WHERE state='pending'")
        self._notify()

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is pending and the listeners of the last job have run (so a receipt printed
        next sees the platform's number); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._busy or self.depth():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.5))
        return True

    def _notify(self) -> None:
        with self._wake:
            self._woken = True
            self._wake.notify_all()

    def _sleep(self, seconds: float) -> None:
        with self._wake:
            if not self._woken and not self._stopping:
                self._wake.wait(max(0.0, seconds))
            self._woken = False

    def _run(self) -> None:
        while not self._stopping:
            if self._alarm:
                self._sleep(60)
                continue
            wait = self._pause_until - time.time()
            if wait > 0:
                self._sleep(wait)
                continue
            self._busy = True
            row, next_due = None, None
            try:
                row, next_due = self._next_due()
                if row is not None:
                    self._attempt(row)
            except Exception:  # a local fault (disk full, I/O error): the worker keeps going and retries
                log.exception("outbox worker: local fault; retrying in 5 s")
            finally:
                self._busy = False
                with self._changed:
                    self._changed.notify_all()  # only now: the listeners of this job have run
            if row is None:
                self._sleep(min(next_due - time.time(), 5.0) if next_due else 5.0)

    def _next_due(self) -> tuple[sqlite3.Row | None, float | None]:
        with self._lock:
            row = self._db.execute(
                "SELECT j.* FROM jobs j LEFT JOIN jobs d ON d.id = j.depends_on "
                "WHERE j.state='pending' AND j.next_attempt_at <= ? AND (d.id IS NULL OR d.state='delivered') "
                "ORDER BY j.next_attempt_at, j.id LIMIT 1",
                (time.time(),),
            ).fetchone()
            if row is not None:
                return row, None
            nxt = self._db.execute("SELECT MIN(next_attempt_at) FROM jobs WHERE state='pending'").fetchone()[0]
            return None, nxt

    def _attempt(self, row: sqlite3.Row) -> None:
        try:
            result = self._deliver_application(row) if row["kind"] == "application" else self._deliver_evaluation(row)
        except RetryableError as exc:
            self._retry_later(row, exc.summary(), exc.retry_after)
        except CredentialError as exc:
            self._alarm = exc.summary()
            self._record_error(row, exc.summary())
            log.error("platform refused the kiosk's credentials; outbox sending stopped: %s", exc.summary())
            self._emit(OutboxEvent("alarm", self._info(row["id"]), exc.summary()))
        except (PermanentError, InvalidTag) as exc:
            summary = exc.summary() if isinstance(exc, PermanentError) else "sealed data does not open (key changed?)"
            self._fail(row, summary)
        except Exception as exc:  # a bug or a local fault (disk): keep the job, back off, say it loudly
            log.exception("outbox job %s: unexpected error", row["id"])
            self._retry_later(row, f"internal: {type(exc).__name__}", None)
        else:
            self._failures_in_a_row = 0
            self._finish(row, result)

    def _deliver_application(self, row: sqlite3.Row) -> dict[str, Any]:
        body = self._pending_payload(row)
        reference = row["reference"]
        with self._lock:
            files = self._db.execute("SELECT * FROM job_files WHERE job_id=? ORDER BY idx", (row["id"],)).fetchall()
        file_ids: dict[int, str] = {}
        for f in files:
            if f["file_id"] is None:
                data = self._sealer.open(f["data"], f"file:{reference}:{f['idx']}")
                uploaded = self.client.upload_file(data, f["content_type"], f["idempotency_key"])
                with self._transaction() as db:
                    db.execute(
                        "UPDATE job_files SET file_id=? WHERE job_id=? AND idx=?",
                        (uploaded.file_id, row["id"], f["idx"]),
                    )
                file_ids[f["idx"]] = uploaded.file_id
            else:
                file_ids[f["idx"]] = f["file_id"]
        for material in body.get("materials", []):
            for placeholder, field in (("file_index", "file_id"), ("signature_file_index", "signature_file_id")):
                if placeholder in material:
                    material[field] = file_ids[material.pop(placeholder)]
        accepted = self.client.submit_application(body, row["idempotency_key"])
        return {
            "application_no": accepted.application_no,
            "status": accepted.status,
            "accepted_at": accepted.accepted_at.isoformat(),
            "handling_org": accepted.handling_org,
            "promised_by": accepted.promised_by.isoformat() if accepted.promised_by else None,
        }

    def _deliver_evaluation(self, row: sqlite3.Row) -> dict[str, Any]:
        body = self._pending_payload(row)
        service = body.get("service", "application")
        if service != "application":
            evaluation_id = self.client.evaluate(
                body["application_no"], body["level"], body["reasons"], body["comment"], row["idempotency_key"],
                service=service, item_code=body["item_code"],
            )
            return {"evaluation_id": evaluation_id, "service": service}
        if body["application_no"] is None:
            with self._lock:
                dep = self._db.execute("SELECT result FROM jobs WHERE id=?", (row["depends_on"],)).fetchone()
            body["application_no"] = json.loads(dep["result"])["application_no"]
            with self._transaction() as db:  # fix the body for good: a retry must send the same bytes
                db.execute(
                    "UPDATE jobs SET payload=? WHERE id=?", (self._seal_payload(row["reference"], body), row["id"])
                )
        evaluation_id = self.client.evaluate(
            body["application_no"], body["level"], body["reasons"], body["comment"], row["idempotency_key"]
        )
        return {"evaluation_id": evaluation_id, "application_no": body["application_no"]}

    def _pending_payload(self, row: sqlite3.Row) -> dict[str, Any]:
        body = self._payload(row)
        if body is None:  # erased only on delivery, and a delivered job is never attempted again
            raise RuntimeError(f"job {row['id']} is pending without a payload")
        return body

    def _payload(self, row: sqlite3.Row) -> dict[str, Any] | None:
        if row["payload"] is None:
            return None
        return json.loads(self._sealer.open(row["payload"], f"job:{row['reference']}"))

    def _seal_payload(self, reference: str, payload: dict[str, Any]) -> bytes:
        return self._sealer.seal(json.dumps(payload, ensure_ascii=False).encode(), f"job:{reference}")

    def _backoff(self, attempt: int) -> float:
        """Exponential with "equal jitter": half fixed, half random, capped."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** min(max(attempt - 1, 0), 30)))
        return ceiling / 2 + self._random.uniform(0, ceiling / 2)

    def _retry_later(self, row: sqlite3.Row, summary: str, retry_after: float | None) -> None:
        self._failures_in_a_row += 1
        attempts = row["attempts"] + 1
        job_delay = max(self._backoff(attempts), retry_after or 0.0)
        pause = max(self._backoff(self._failures_in_a_row), retry_after or 0.0)
        now = time.time()
        self._pause_until = now + pause
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET attempts=?, next_attempt_at=?, last_error=? WHERE id=?",
                (attempts, now + job_delay, summary, row["id"]),
            )
        log.info("outbox %s attempt %d failed (%s); next try in %.1fs", row["reference"], attempts, summary, job_delay)

    def _record_error(self, row: sqlite3.Row, summary: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET attempts=attempts+1, last_error=? WHERE id=?", (summary, row["id"]))

    def _fail(self, row: sqlite3.Row, summary: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET state='failed', attempts=attempts+1, last_error=?, finished_at=? WHERE id=?",
                (summary, time.time(), row["id"]),
            )
        log.warning("outbox %s failed permanently, kept for staff review: %s", row["reference"], summary)
        self._emit(OutboxEvent("failed", self._info(row["id"]), summary))

    def _finish(self, row: sqlite3.Row, result: dict[str, Any]) -> None:
        with self._transaction() as db:  # delivered: the personal payload has no business staying here
            db.execute(
                "UPDATE jobs SET state='delivered', payload=NULL, result=?, finished_at=?, last_error=NULL, "
                "attempts=attempts+1 WHERE id=?",
                (json.dumps(result, ensure_ascii=False), time.time(), row["id"]),
            )
            db.execute("UPDATE job_files SET data=NULL WHERE job_id=?", (row["id"],))
        log.info("outbox %s delivered", row["reference"])
        self._emit(OutboxEvent("delivered", self._info(row["id"])))

    def _emit(self, event: OutboxEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("outbox listener failed")

    # -- plumbing --------------------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _jobs(self, where: str, params: tuple[Any, ...] = ()) -> list[JobInfo]:
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM jobs WHERE {where} ORDER BY id", params).fetchall()
        return [self._row_info(r) for r in rows]

    def _info(self, job_id: int) -> JobInfo | None:
        jobs = self._jobs("id=?", (job_id,))
        return jobs[0] if jobs else None

    @staticmethod
    def _row_info(row: sqlite3.Row) -> JobInfo:
        return JobInfo(
            id=row["id"],
            kind=row["kind"],
            reference=row["reference"],
            state=row["state"],
            attempts=row["attempts"],
            created_at=row["created_at"],
            next_attempt_at=row["next_attempt_at"],
            last_error=row["last_error"],
            result=json.loads(row["result"]) if row["result"] else None,
        )
