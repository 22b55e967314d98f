"""Alerts leave the console: a log line for every change, and a webhook POST per alert rule, rate limited.

``--webhook RULE=URL`` (``*`` for every rule without its own). Each rule may send at most ``rate`` openings per
``per_s`` seconds; alerts beyond that are counted and the next request that goes out carries
``"suppressed": N`` (an operator sees that a storm happened without receiving it). The closing of an alert whose
opening went out follows as ``"event": "closed"`` (not counted against the rate). Requests go out from one
background thread, so a slow receiver never delays heartbeat ingest; a failed request is logged, not retried
(the console's alert page stays the record).
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any

import requests

from kiosk.console.alerts import alert_payload
from kiosk.console.store import AlertEvent
from kiosk.console.worker import QueueWorker

log = logging.getLogger("kiosk.console.alerts")


def parse_webhooks(specs: list[str]) -> dict[str, str]:
    """``["paper_out=https://…", "*=https://…"]`` → {rule: url}; a bad spec raises ValueError."""
    from kiosk.console.alerts import RULES

    hooks: dict[str, str] = {}
    for spec in specs:
        rule, sep, url = spec.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook must be RULE=http(s)://…, got {spec!r}")
        if rule != "*" and rule not in RULES:
            raise ValueError(f"unknown alert rule {rule!r}; rules: {', '.join(RULES)}")
        hooks[rule] = url
    return hooks


class Notifier(QueueWorker[tuple[str, dict[str, Any]]]):
    def __init__(
        self,
        hooks: dict[str, str],
        *,
        rate: int = 10,
        per_s: float = 60.0,
        post: Callable[[str, dict[str, Any]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hooks = hooks
        self.rate, self.per_s = rate, per_s
        self._post = post or _post
        self._clock = clock
        self._sent: dict[str, list[float]] = {}
        self._suppressed: dict[str, int] = {}
        self._announced: set[int] = set()  # alerts whose opening went out (their closing goes out too)
        super().__init__("console-webhooks", 1000)
        self.delivered = 0

    def __call__(self, event: AlertEvent) -> None:
        alert = event.alert
        log.warning("alert %s: kiosk %s %s %s", event.kind, alert["kiosk_id"], alert["rule"], alert.get("detail", ""))
        rule = alert["rule"]
        url = self.hooks.get(rule) or self.hooks.get("*")
        if not url:
            return
        if event.kind == "closed":  # resolved: told only to whoever was told it opened, never rate limited
            if alert["id"] in self._announced:
                self._announced.discard(alert["id"])
                self._enqueue(url, {"event": "closed", "alert": alert_payload(alert), "suppressed": 0}, alert)
            return
        now = self._clock()
        recent = [t for t in self._sent.get(rule, []) if now - t < self.per_s]
        if len(recent) >= self.rate:
            self._suppressed[rule] = self._suppressed.get(rule, 0) + 1
            self._sent[rule] = recent
            return
        recent.append(now)
        self._sent[rule] = recent
        self._announced.add(alert["id"])
        payload = {"event": event.kind, "alert": alert_payload(alert), "suppressed": self._suppressed.pop(rule, 0)}
        self._enqueue(url, payload, alert)

    def _enqueue(self, url: str, payload: dict[str, Any], alert: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((url, payload))
        except queue.Full:
            log.error("webhook queue full: alert %s for kiosk %s not sent", alert["rule"], alert["kiosk_id"])

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            url, payload = item
            try:
                self._post(url, payload)
                self.delivered += 1
            except Exception as error:
                log.error("webhook %s failed: %s", url.split("?")[0], error)


def _post(url: str, payload: dict[str, Any]) -> None:
    answer = requests.post(url, json=payload, timeout=10)
    answer.raise_for_status()
