"""呼叫工作人员: a call carried by the heartbeat until staff come, and counters mentioned only while staffed."""

from __future__ import annotations

import datetime as dt

from kiosk import clock
from kiosk.assistance import Assistance

SH = dt.timezone(dt.timedelta(hours=8))


def test_counters_are_open_only_on_working_days_within_their_hours():
    help_ = Assistance("08:30-17:30")
    assert help_.counter_open(dt.datetime(2026, 12, 7, 10, 0, tzinfo=SH))  # a Monday morning
    assert not help_.counter_open(dt.datetime(2026, 12, 7, 22, 19, tzinfo=SH))  # the 22:19
    assert not help_.counter_open(dt.datetime(2026, 12, 5, 10, 0, tzinfo=SH))  # Saturday
    assert not help_.counter_open(dt.datetime(2026, 10, 1, 10, 0, tzinfo=SH))  # National Day
    # 22:19 UTC on Sunday is 06:19 Monday in Shanghai: still closed; 02:00 UTC Monday is 10:00 there: open
    assert not help_.counter_open(dt.datetime(2026, 12, 6, 22, 19, tzinfo=dt.UTC))
    assert help_.counter_open(dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC))


def test_a_call_rides_the_heartbeat_until_staff_answer():
    help_ = Assistance()
    assert help_.heartbeat_fields() == {"assistance": None}
    call = help_.call("materials")
    fields = help_.heartbeat_fields()["assistance"]
    assert fields["call_id"] == call.id and fields["screen"] == "materials"
    assert dt.datetime.fromisoformat(fields["at"]).utcoffset() == clock.now().utcoffset()
    help_.answered()
    assert help_.heartbeat_fields() == {"assistance": None}
