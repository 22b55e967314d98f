"""JSON-lines logging to a rotating file, with personal data redacted on the way out.

The filter masks ID numbers (15/18-digit patterns) and mobile numbers wherever they appear in
the message, its arguments or a traceback, and masks marked personal fields passed as ``extra``.
Names cannot be recognised in free text, so code logs them only as marked fields or not at all.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
from collections import deque
from pathlib import Path
from typing import Any

from kiosk import clock
from kiosk.privacy import mask_id_number, mask_name, mask_phone

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

#: ``extra`` keys that always carry personal data, and how each is masked.
PERSONAL_FIELDS = {
    "person_name": mask_name,
    "name_en": mask_name,
    "agent_name": mask_name,
    "id_number": mask_id_number,
    "agent_id_number": mask_id_number,
    "phone": mask_phone,
    "address": lambda value: value[:3] + "…" if value else value,
    "birth_date": lambda _value: "****-**-**",
}

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)


class RedactingFilter(logging.Filter):
    """Attach to handlers: rewrites each record so no formatter ever sees the raw values."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        for key, value in list(vars(record).items()):
            if key in _STANDARD:
                continue
            if key in PERSONAL_FIELDS and isinstance(value, str):
                setattr(record, key, PERSONAL_FIELDS[key](value))
            elif isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": clock.local(record.created).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                entry[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class _LogFile(logging.handlers.RotatingFileHandler):
    """A full disk must not flood stderr with a traceback per log line, nor stop the kiosk: one line says
    the log is not being written, and writing resumes by itself once there is room."""

    failing = False
    _erred = False

    def emit(self, record: logging.LogRecord) -> None:
        self._erred = False
        super().emit(record)
        if not self._erred:
            self.failing = False

    def handleError(self, record: logging.LogRecord) -> None:
        self._erred = True
        if not self.failing:
            self.failing = True
            error = sys.exc_info()[1]
            stream = sys.__stderr__ or sys.stderr  # the journal: Kivy re-routes sys.stderr into this very log
            stream.write(f"kiosk: log lines not written to {self.baseFilename} ({error}); "
                         "they are dropped until there is room\n")  # fmt: skip
            stream.flush()


def setup(log_dir: Path, level: str = "INFO", *, max_bytes: int = 5_000_000, backups: int = 5) -> Path:
    """Send the root logger to ``log_dir/kiosk.log`` (JSON lines, rotating). Returns the file path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "kiosk.log"
    handler = _LogFile(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_tongban", False)]:
        root.removeHandler(old)
        old.close()
    handler._tongban = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return path


def recent_lines(log_dir: Path, count: int = 200) -> list[str]:
    """The newest ``count`` lines (already redacted when written), for the staff menu."""
    path = log_dir / "kiosk.log"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", errors="replace") as handle:
        return list(deque(handle, maxlen=count))
