"""Fixtures for the platform tests: a loopback simulator, a client for it, and a valid application body."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from drivers.sim.platform import PlatformSimulator
from kiosk.platform import PlatformClient

TOKEN = "test-device-token"
KIOSK = "K0001"
ZHANG = {"name": "张伟", "id_number": "110105199003071239"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def sim(tmp_path):
    simulator = PlatformSimulator(tmp_path / "platform.sqlite3", token=TOKEN, seed=7)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(sim):
    c = PlatformClient(sim.url, TOKEN, KIOSK, timeout=(2.0, 5.0))
    yield c
    c.close()


@pytest.fixture
def verification(client):
    result = client.verify_identity(method="idcard", id_type="resident", **ZHANG)
    assert result.verified
    return result


def application(verification_id: str, /, **changes: Any) -> dict[str, Any]:
    """A valid application body as the kiosk would queue it (file references by index)."""
    body: dict[str, Any] = {
        "verification_id": verification_id,
        "items": ["11110105MB0000001X-001"],
        "bundle": None,
        "applicant": {"id_type": "resident", "phone": "13800138000", "region_code": "110105", **ZHANG},
        "agent": None,
        "materials": [
            {"code": "photo", "provided_as": "file", "file_index": 0},
            {"code": "household_register", "provided_as": "certificate", "certificate_number": "HJ110105-0012345"},
            {"code": "income_proof", "provided_as": "deferred"},
        ],
        "form": {"reason": "测试"},
        "handling_region_code": "110105",
    }
    body.update(copy.deepcopy(changes))
    return body


def wire_application(verification_id: str, file_id: str, reference: str = "K0001-000001", /, **changes: Any) -> dict:
    """The same application as sent on the wire (file ids resolved, kiosk fields filled)."""
    body = application(verification_id)
    for material in body["materials"]:
        if "file_index" in material:
            del material["file_index"]
            material["file_id"] = file_id
    body.update(kiosk_id=KIOSK, client_reference=reference, submitted_at="2026-03-02T09:30:00+08:00")
    body.update(copy.deepcopy(changes))
    return body


@pytest.fixture
def h():
    """The constants and body builders above, for tests (importlib mode cannot import conftest)."""
    import types

    return types.SimpleNamespace(
        TOKEN=TOKEN,
        KIOSK=KIOSK,
        ZHANG=ZHANG,
        JPEG=JPEG,
        PDF=PDF,
        application=application,
        wire_application=wire_application,
    )
