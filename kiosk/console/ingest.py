"""The one writer: heartbeats from HTTP and MQTT are queued and committed in groups by a single thread.

A request handler waits for its heartbeat's commit (so a 204 means stored) but many requests share one
transaction: SQLite commits a few hundred heartbeats as cheaply as one. The thread also opens ``silent`` alerts
(every second), prunes history past the retention (every minute) and hands alert changes to the notifier.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import queue
import time
from collections.abc import Callable
from typing import Any

from kiosk.console.store import AlertEvent, Store
from kiosk.console.worker import QueueWorker

log = logging.getLogger(__name__)

_Item = tuple[str, dict[str, Any], str, "concurrent.futures.Future[None] | asyncio.Future[None]"]

BATCH = 500
REFRESH_S = 5.0  # a new token or a removed kiosk takes effect within this (another process changed it)
QUEUE_LIMIT = 20_000  # beyond this the console answers 503 + Retry-After instead of growing without bound


def _settle(futures: list[asyncio.Future[None]], error: Exception | None) -> None:
    for future in futures:
        if future.done():  # the request was cancelled (client gone)
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class Busy(Exception):
    """The queue is full: the kiosk should retry later."""


class Ingest(QueueWorker[_Item]):
    def __init__(
        self,
        store: Store,
        *,
        retention_s: float = 30 * 86400,
        notify: Callable[[AlertEvent], None] = lambda _event: None,
        sweep_every_s: float = 1.0,
    ) -> None:
        self.store = store
        self.retention_s = retention_s
        self.notify = notify
        self.sweep_every_s = sweep_every_s
        super().__init__("console-ingest", QUEUE_LIMIT)
        self.committed = 0

    def submit(self, kiosk_id: str, body: dict[str, Any], raw: str = "") -> concurrent.futures.Future[None]:
        """Queue one valid heartbeat from a thread; the future completes when it is committed."""
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._put((kiosk_id, body, raw or json.dumps(body, ensure_ascii=False, separators=(",", ":")), future))
        return future

    async def take(self, kiosk_id: str, body: dict[str, Any], raw: str) -> None:
        """Queue one valid heartbeat (``raw``: its JSON as received) and wait until it is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._put((kiosk_id, body, raw, future))
        await future

    def _put(self, item: _Item) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            raise Busy from None

    def start(self) -> None:
        self.store.refresh_registrations()
        super().start()

    def _run(self) -> None:
        next_sweep = next_prune = next_refresh = time.monotonic()
        running = True
        while running:
            batch: list[_Item] = []
            try:
                item = self._queue.get(timeout=max(0.01, next_sweep - time.monotonic()))
                while True:
                    if item is None:  # stop(): commit what came before it, then end
                        running = False
                        break
                    batch.append(item)
                    if len(batch) >= BATCH:
                        break
                    item = self._queue.get_nowait()
            except queue.Empty:
                pass
            if batch:
                self._commit(batch)
            now = time.monotonic()
            if now >= next_sweep:
                next_sweep = now + self.sweep_every_s
                self._guard(self.store.sweep_silent)
            if now >= next_refresh:
                next_refresh = now + REFRESH_S
                self._guard(self._refresh)
            if now >= next_prune:
                next_prune = now + 60
                self._guard(self._prune)

    def _refresh(self) -> list[AlertEvent]:
        self.store.refresh_registrations()
        return []

    def _prune(self) -> list[AlertEvent]:
        removed = self.store.prune(self.retention_s)
        if removed:
            log.info("pruned %d heartbeats older than the retention", removed)
        return []

    def _commit(self, batch: list[_Item]) -> None:
        error: Exception | None = None
        events: list[AlertEvent] = []
        try:
            events = self.store.ingest([(k, b, r) for k, b, r, _ in batch])
            self.committed += len(batch)
        except Exception as failure:  # the database is down or full: every waiting kiosk gets a 503
            log.error("heartbeats not stored: %s", failure)
            error = failure
        # One wake-up of each event loop per batch (not one per heartbeat): its futures are settled there.
        waiting: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for *_, future in batch:
            if isinstance(future, asyncio.Future):
                waiting.setdefault(future.get_loop(), []).append(future)
            elif error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
        for loop, futures in waiting.items():
            try:
                loop.call_soon_threadsafe(_settle, futures, error)
            except RuntimeError:  # that loop has closed (the server stopped): nobody waits any more
                pass
        self._notify(events)

    def _guard(self, job: Callable[[], list[AlertEvent]]) -> None:
        try:
            self._notify(job())
        except Exception as error:
            log.error("console housekeeping failed: %s", error)

    def _notify(self, events: list[AlertEvent]) -> None:
        for event in events:
            try:
                self.notify(event)
            except Exception:
                log.exception("alert notification failed")
