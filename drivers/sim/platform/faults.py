"""Per-endpoint fault injection for the platform simulator.

A :class:`Fault` says, for one endpoint, how often each failure happens. Every request draws once
and at most one of the failures fires, in this order: dropped connection before the request is
processed, 429 with Retry-After, an error status, and (after the request committed) a dropped
connection in place of the answer. Latency is added to every request on top of that.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields, replace
from typing import Any

ENDPOINTS = ("identity", "certificates", "files", "applications", "progress", "evaluations", "heartbeat")


@dataclass(frozen=True)
class Fault:
    error_rate: float = 0.0  # probability of answering ``error_status`` without processing
    error_status: int = 503
    latency: float = 0.0  # seconds added to every request
    drop_before: float = 0.0  # probability of closing the connection before processing
    drop_after: float = 0.0  # probability of processing (and committing) but closing instead of answering
    throttle_rate: float = 0.0  # probability of 429
    retry_after: int = 1  # seconds, sent with 429 and with 503

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_before", "drop_after", "throttle_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, not {value}")
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must not be negative")
        if not 400 <= self.error_status <= 599:
            raise ValueError(f"error_status must be a 4xx or 5xx status, not {self.error_status}")

    @classmethod
    def parse(cls, spec: str) -> tuple[str, Fault]:
        """``applications:drop_after=0.2,error_rate=0.1`` → ("applications", Fault(...)); ``*`` means every endpoint."""
        endpoint, _, settings = spec.partition(":")
        endpoint = endpoint.strip()
        if endpoint != "*" and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)} or *")
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}  # each name and number type checked against the fields below
        for item in filter(None, (s.strip() for s in settings.split(","))):
            name, eq, raw = item.partition("=")
            if not eq or name not in types:
                raise ValueError(f"bad fault setting {item!r}; known: {', '.join(types)}")
            values[name] = int(raw) if types[name] == "int" else float(raw)
        return endpoint, cls(**values)


class FaultBook:
    """The faults in force, per endpoint, with one seeded random source (thread-safe)."""

    def __init__(self, faults: dict[str, Fault] | None = None, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._faults: dict[str, Fault] = {}
        for endpoint, fault in (faults or {}).items():
            self.set(endpoint, fault)

    def set(self, endpoint: str, fault: Fault | None) -> None:
        targets = ENDPOINTS if endpoint == "*" else (endpoint,)
        if endpoint != "*" and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}")
        with self._lock:
            for name in targets:
                if fault is None or fault == Fault():
                    self._faults.pop(name, None)
                else:
                    self._faults[name] = fault

    def update(self, endpoint: str, **changes: Any) -> None:  # Fault checks names and ranges
        with self._lock:
            current = self._faults.get(endpoint, Fault())
        self.set(endpoint, replace(current, **changes))

    def get(self, endpoint: str) -> Fault:
        with self._lock:
            return self._faults.get(endpoint, Fault())

    def draw(self, endpoint: str) -> tuple[Fault, str | None]:
        """The fault for this request and which failure fires: drop_before, throttle, error, drop_after or None."""
        with self._lock:
            fault = self._faults.get(endpoint, Fault())
            roll = self._random.random()
        edge = 0.0
        for name, rate in (
            ("drop_before", fault.drop_before),
            ("throttle", fault.throttle_rate),
            ("error", fault.error_rate),
            ("drop_after", fault.drop_after),
        ):
            edge += rate
            if roll < edge:
                return fault, name
        return fault, None
