"""TUF's HTTP fetcher with a deadline for the whole round and a minimum speed.

TUF's own fetcher has only a gap-between-bytes timeout, so a mirror that sends one byte every 29 s holds
a round open for days, and the kiosk never hears of the bundle that fixes it. This one reads whatever
has arrived (``read1``, not a blocking read of a whole chunk), so after every packet it can check:

- the round deadline (metadata refresh and bundle download together): past it, the round is refused;
- the speed of this transfer: after a grace period, an average below ``min_speed_bps`` is refused.

Both raise TUF's ``SlowRetrievalError``, which the updater reports as "download too slow: …". The gap
timeout stays, shortened to whatever is left of the round.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import urllib3
from tuf.api import exceptions
from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher


class DeadlineFetcher(Urllib3Fetcher):
    def __init__(
        self,
        *,
        socket_timeout: int = 30,
        round_deadline_s: float = 600.0,
        min_speed_bps: int = 2048,
        grace_s: float = 10.0,
        app_user_agent: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(socket_timeout=socket_timeout, chunk_size=64 * 1024, app_user_agent=app_user_agent)
        self.round_deadline_s = round_deadline_s
        self.min_speed_bps = min_speed_bps
        self.grace_s = grace_s
        self._clock = clock
        self._deadline = clock() + round_deadline_s

    def start_round(self) -> None:
        """The round starts now: its deadline is ``round_deadline_s`` from here."""
        self._deadline = self._clock() + self.round_deadline_s

    def _left(self) -> float:
        left = self._deadline - self._clock()
        if left <= 0:
            deadline = f"{self.round_deadline_s:g} s"
            raise exceptions.SlowRetrievalError(f"the round took longer than its deadline of {deadline}")
        return left

    def _fetch(self, url: str) -> Iterator[bytes]:
        gap = max(0.5, min(float(self.socket_timeout), self._left()))
        try:
            response = self._proxy_env.request("GET", url, preload_content=False, timeout=urllib3.Timeout(gap))
        except urllib3.exceptions.MaxRetryError as error:
            if isinstance(error.reason, urllib3.exceptions.TimeoutError):
                raise exceptions.SlowRetrievalError(f"no answer within {gap:g} s") from error
            raise
        if response.status >= 400:
            response.close()
            raise exceptions.DownloadHTTPError(f"HTTP error occurred with status {response.status}", response.status)
        return self._packets(response)

    def _packets(self, response: urllib3.response.BaseHTTPResponse) -> Iterator[bytes]:
        started, received = self._clock(), 0
        try:
            while True:
                try:
                    data = response.read1(self.chunk_size)
                except (urllib3.exceptions.TimeoutError, urllib3.exceptions.ProtocolError) as error:
                    if isinstance(error, urllib3.exceptions.ProtocolError) and not _timed_out(error):
                        raise
                    raise exceptions.SlowRetrievalError("no data for too long") from error
                if not data:
                    return
                received += len(data)
                self._left()
                elapsed = self._clock() - started
                if elapsed > self.grace_s and received / elapsed < self.min_speed_bps:
                    raise exceptions.SlowRetrievalError(
                        f"{received / elapsed:.0f} B/s is below the minimum of {self.min_speed_bps} B/s"
                    )
                yield data
        finally:
            response.release_conn()


def _timed_out(error: BaseException) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, TimeoutError | urllib3.exceptions.TimeoutError):
            return True
        cause = cause.__cause__ or cause.__context__ or (cause.args[1] if len(cause.args) > 1 and
                                                        isinstance(cause.args[1], BaseException) else None)  # fmt: skip
    return False
