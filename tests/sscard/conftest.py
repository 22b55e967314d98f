"""Fixtures: one private pcscd + virtual card per module, a fresh reader per test."""

from __future__ import annotations

import time

import pytest

from drivers.sim.sscard import PcscEnvironment, pcsc_available

EXPECTED = {  # what the driver must make of each deck entry (nation names per GB/T 3304)
    "shanghai-v3": {"name": "张小明", "nation": "汉", "sex": "male", "region": "310100", "warnings": ()},
    "shenzhen-region": {"name": "马秀兰", "nation": "回", "sex": "female", "region": "440300", "warnings": ()},
    "nanning-expired": {"name": "欧阳建国", "nation": "壮", "sex": "male", "region": "450100",
                        "warnings": ("card_expired",)},
    "beijing-chained": {"name": "李娜", "nation": "汉", "sex": "female", "region": "110100", "warnings": ()},
    "chengdu-long-name": {"name": "王芳", "nation": "藏", "sex": "female", "region": "510100", "warnings": ()},
}  # fmt: skip


def wait_for(predicate, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def pcsc_env():
    ok, why = pcsc_available()
    if not ok:
        pytest.skip(f"no private pcscd with vpcd here: {why}")
    with PcscEnvironment() as env:
        yield env


@pytest.fixture
def env(pcsc_env):
    pcsc_env.remove()
    yield pcsc_env
    pcsc_env.remove()


@pytest.fixture
def reader(env):
    from drivers.sscard import SocialSecurityCardReader

    device = SocialSecurityCardReader(env.reader_pattern, apdu_timeout=1.0)
    device.events = []
    device.subscribe(device.events.append)
    device.open()
    yield device
    device.close()
