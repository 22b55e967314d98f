"""Chaos and power loss, bounded: the kiosk process SIGKILLed at random while devices and the platform fail.

Every accepted application reaches the platform exactly once, every finished journey told the resident something
clear, the kiosk restarts by itself, the outbox database and the audit chain stay intact after every kill (the
worker writes an audit record for every delivery on the outbox thread, so kills land mid-delivery and mid-audit),
and no personal data reaches the kiosk's files.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from drivers.sim.platform import Fault
from tests.proof.conftest import ROOT

_spec = importlib.util.spec_from_file_location("bench_chaos", ROOT / "bench" / "chaos.py")
chaos = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = chaos
_spec.loader.exec_module(chaos)


def assert_held(result: dict) -> None:
    assert result["kills"] >= 2
    assert result["store_problems"] == []
    assert result["drained"]
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["unclear"] == 0
    assert result["leaks"] == []


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_short_chaos_run(tmp_path):
    result = chaos.chaos(14, tmp_path, seed=11, kill_every=(2.0, 4.0), time_limit=60)
    assert_held(result)
    assert result["accepted"] >= 3


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_power_loss_mid_delivery_leaves_outbox_and_audit_valid(tmp_path):
    # slow, lossy delivery so the kills land while the outbox thread delivers and audits
    slow = [Fault(latency=0.3, drop_after=0.3)]
    result = chaos.chaos(10, tmp_path, seed=5, kill_every=(1.5, 3.0), time_limit=40, platform_faults=slow)
    assert_held(result)
