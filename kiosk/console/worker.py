"""A console background thread that drains one bounded queue; ``None`` put on the queue tells it to finish.

Heartbeat ingest and webhook delivery each own one, so neither a slow database nor a slow receiver holds up
a request handler.
"""

from __future__ import annotations

import queue
import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class QueueWorker(Generic[T]):
    def __init__(self, name: str, limit: int) -> None:
        self._name = name
        self._queue: queue.Queue[T | None] = queue.Queue(limit)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Let the thread finish what was queued before this call, then end it."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
