"""How often residents chose each item, kept across restarts so the search ranks popular items first among equals.

A small JSON file in the data folder (``{"version": 1, "uses": {"<item code>": count, …}}``), rewritten atomically
and fsynced on every use: a use is a resident choosing an item, a few times an hour, and a power cut must leave the
old file or the new one, never half of one. Counts are not precious: an unreadable file is logged and started
afresh rather than stopping the kiosk.

    uses = UseCounts(data_dir / "catalog_uses.json")
    index = SearchIndex(catalog, uses=uses)   # a UseCounts is the ``uses`` mapping; record_use then saves it
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "catalog_uses.json"
_VERSION = 1


class UseCounts(Mapping[str, int]):
    """Item code → number of times chosen, loaded from ``path`` (missing = none yet) and saved on every ``add``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._counts = self._load()

    def __getitem__(self, code: str) -> int:
        return self._counts[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)

    def __len__(self) -> int:
        return len(self._counts)

    def add(self, code: str, count: int = 1) -> None:
        """Count ``count`` more uses of ``code`` and save."""
        self._counts[code] = self._counts.get(code, 0) + count
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump({"version": _VERSION, "uses": self._counts}, handle, ensure_ascii=False, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)  # atomic: a crash leaves the old file or the new one
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself survive a power cut
        finally:
            os.close(dir_fd)

    def _load(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("catalog use counts unreadable (%s); starting afresh", type(exc).__name__)
            return {}
        raw = data.get("uses") if isinstance(data, dict) and data.get("version") == _VERSION else None
        if not isinstance(raw, dict):
            log.warning("catalog use counts in an unknown layout; starting afresh")
            return {}
        # Keep what is sound: a hand-edited or damaged entry must not cost the other counts.
        return {
            code: count
            for code, count in raw.items()
            if isinstance(code, str) and isinstance(count, int) and not isinstance(count, bool) and count > 0
        }
