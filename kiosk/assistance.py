"""A person one touch away (呼叫工作人员): a resident's call for help reaches the on-duty staff through the
platform heartbeat, and the help text fits a corner that is open 24 hours.

A call is recorded here (no personal data: the time, the screen the resident was on, an id) and carried in every
heartbeat as ``assistance`` until staff sign in at the kiosk or it is an hour old; the app asks the heartbeat to
beat at once, so the platform (and the fleet console mirroring heartbeats) sees it within seconds.
``counter_open()`` says whether the service counters are staffed now (``service.counter_hours`` on working
days), so the screens never send a resident at 22:19 to a closed counter.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from kiosk import clock
from kiosk.workdays import is_working_day

CALL_KEPT = dt.timedelta(hours=1)


@dataclass(frozen=True)
class StaffCall:
    id: str
    at: dt.datetime
    screen: str

    def as_heartbeat(self) -> dict[str, Any]:
        return {"call_id": self.id, "at": self.at.isoformat(timespec="seconds"), "screen": self.screen}


class Assistance:
    def __init__(self, counter_hours: str = "08:30-17:30") -> None:
        self.counter_hours = counter_hours
        self._call: StaffCall | None = None
        self._lock = threading.Lock()

    def call(self, screen: str) -> StaffCall:
        """The resident asked for a person on ``screen``: the call the next heartbeats carry."""
        call = StaffCall(uuid.uuid4().hex[:12], clock.now(), screen)
        with self._lock:
            self._call = call
        return call

    @property
    def pending(self) -> StaffCall | None:
        with self._lock:
            call = self._call
        if call is not None and clock.now() - call.at > CALL_KEPT:
            return None
        return call

    def answered(self) -> None:
        """Staff came (signed in at the kiosk): the call is over."""
        with self._lock:
            self._call = None

    def heartbeat_fields(self) -> dict[str, Any]:
        call = self.pending
        return {"assistance": call.as_heartbeat() if call is not None else None}

    def counter_open(self, at: dt.datetime | None = None) -> bool:
        """Whether the service counters are staffed at ``at`` (now): a working day within the counter hours."""
        moment = clock.local(at) if at is not None else clock.now()
        start, _, end = self.counter_hours.partition("-")
        opens, closes = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
        working, _approximate = is_working_day(moment.date())
        return working and opens <= moment.time().replace(tzinfo=None) < closes
