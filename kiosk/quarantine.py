"""A corrupt database beside the kiosk is set aside, never deleted, and a fresh one opened (issue 17: a start-up
fault never becomes a restart loop).

``database_problem`` asks SQLite itself (``PRAGMA quick_check``) whether a file is sound; ``quarantine`` moves it
with its ``-wal``/``-shm``/``-journal`` side files into ``<data_dir>/quarantine/<local time>-<name>/`` by rename — same
filesystem, so byte for byte and atomic — where staff or a developer can recover what it still holds (the outbox's
sealing key stays where it is: the quarantined outbox needs it, and so does the fresh one).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from kiosk import clock

log = logging.getLogger(__name__)

QUARANTINE_DIR = "quarantine"
SIDE_FILES = ("-wal", "-shm", "-journal")


# what SQLite says of a damaged file; anything else (locked, busy, unreadable, a full disk) is no reason to move it
CORRUPTION_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class DatabaseUnavailable(RuntimeError):
    """A sound database that cannot be checked now (held locked by another process, unreadable): the start fails
    and is retried (``hardware_failed``), the file stays where it is."""


def database_problem(path: Path, busy_timeout: float = 10) -> str | None:
    """Why SQLite cannot use ``path`` ("file is not a database", a quick_check finding), or None when it is sound
    or absent (a new one will be made). Raises ``DatabaseUnavailable`` when the file cannot be checked at all."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(str(path), timeout=busy_timeout)) as db:
            rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in CORRUPTION_CODES:  # an extended code keeps its primary in the low byte
            return str(error)
        raise DatabaseUnavailable(f"{path.name} cannot be checked: {error}") from error
    findings = [str(row[0]) for row in rows]
    return None if findings == ["ok"] else "; ".join(findings[:5])


def quarantine(path: Path, data_dir: Path, reason: str) -> Path:
    """Move ``path`` and its side files into a new quarantine folder; returns that folder."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%S.%f%z")
    folder = Path(data_dir) / QUARANTINE_DIR / f"{stamp}-{path.name}"
    folder.mkdir(parents=True, mode=0o700)
    for candidate in [path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)]:
        if candidate.exists():
            os.rename(candidate, folder / candidate.name)
    try:
        (folder / "REASON.txt").write_text(f"{path} set aside at {stamp}: {reason}\n", "utf-8")
    except OSError:  # a full disk: the files themselves are moved, the note is a courtesy
        pass
    log.error("%s is unusable (%s): moved to %s, a fresh one is opened", path.name, reason, folder)
    return folder
