"""A real slow mirror on loopback (#17): a round has an overall deadline and a download a minimum speed, so a
mirror trickling bytes cannot hold a round open for days; both refusals say "download too slow"."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from kiosk.fleet.fetcher import DeadlineFetcher


def trickle(every_s: float, stop: threading.Event):
    """Announce the whole file, then send it one byte every ``every_s`` (until the kiosk hangs up)."""

    def fault(handler: http.server.BaseHTTPRequestHandler, body: bytes) -> bool:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            for index in range(len(body)):
                if stop.wait(every_s):
                    break
                handler.wfile.write(body[index : index + 1])
                handler.wfile.flush()
        except OSError:  # the kiosk gave up: what we want
            pass
        handler.close_connection = True
        return True

    return fault


@pytest.fixture
def stop():
    event = threading.Event()
    yield event
    event.set()  # the server threads end with the test


def start_at_v1(fleet, **kwargs):
    fleet.publish(1, "[idle]\ntimeout_s = 100\n")
    kiosk = fleet.kiosk(**kwargs)
    assert kiosk.poll_once().outcome == "applied"
    fleet.audit.clear()
    return kiosk


def test_a_trickling_bundle_is_refused_below_the_minimum_speed(fleet, stop):
    kiosk = start_at_v1(fleet, min_speed_bps=2048, min_speed_grace_s=1.0)
    fleet.publish(2)
    fleet.server.faults["bundle.tar"] = trickle(0.2, stop)  # 5 B/s, well inside the 30 s gap timeout
    started = time.monotonic()
    result = kiosk.poll_once()
    assert result.outcome == "refused" and result.reason.startswith("download too slow"), result
    assert "below the minimum of 2048 B/s" in result.reason
    assert time.monotonic() - started < 25  # not the days a 1-byte-per-29-s mirror could take
    assert fleet.running() == 1 and fleet.audit.last("fleet.refused")["reason"].startswith("download too slow")
    fleet.server.faults.clear()
    assert kiosk.poll_once().version == 2  # the next round, on a healthy mirror, gets it


def test_a_round_past_its_deadline_is_refused_even_at_a_good_speed(fleet, stop):
    kiosk = start_at_v1(fleet, min_speed_bps=0, round_deadline_s=2.0)
    fleet.publish(2)
    fleet.server.faults["bundle.tar"] = trickle(0.05, stop)  # steady, but a whole bundle takes minutes
    result = kiosk.poll_once()
    assert result.outcome == "refused" and "download too slow" in result.reason, result
    assert "longer than its deadline of 2 s" in result.reason
    assert fleet.running() == 1


def test_the_fetcher_reports_each_limit():
    fetcher = DeadlineFetcher(round_deadline_s=5, min_speed_bps=100, grace_s=1, clock=lambda: 0.0)
    fetcher._deadline = -1.0
    from tuf.api import exceptions

    with pytest.raises(exceptions.SlowRetrievalError, match="deadline of 5 s"):
        fetcher._left()
