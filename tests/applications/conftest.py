"""Fixtures for the application tests: the platform simulator (with two residents of the kiosk's own
county added), the packaged catalog and settings, an outbox, and ApplicationOffice with a fixed clock."""

from __future__ import annotations

import datetime as dt
import io
import json
import types
from pathlib import Path

import pytest
import requests

from drivers.identity import CardType, Identity, Source
from drivers.sim.platform import PlatformSimulator
from drivers.sim.platform.server import RESIDENTS_FILE
from kiosk.applications import ApplicationOffice
from kiosk.catalog import load_catalog
from kiosk.config import load_settings
from kiosk.paths import config_dir
from kiosk.platform import PlatformClient
from kiosk.platform.outbox import Outbox
from kiosk.workdays import load_tables

TOKEN = "apps-test-token"
KIOSK = "K0001"
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # a Monday
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.4\n%test\n"

# Residents of 示例县 (330199), registered where the kiosk stands; valid check digits.
LOCAL = {"name": "周建国", "id_type": "resident", "id_number": "330199195001010021", "phone": "13700001111",
         "certificates": [{"code": "id_card", "name": "居民身份证", "number": None, "issuer": "示例县公安局",
                           "valid_to": None},
                          {"code": "household_register", "name": "居民户口簿", "number": "HJ330199-0000001",
                           "issuer": "示例县公安局", "valid_to": None},
                          {"code": "disability_certificate", "name": "残疾人证", "number": "33019919500101002142",
                           "issuer": "示例县残联", "valid_to": "2025-12-31"}]}  # expired: not usable
HANGZHOU = {"name": "钱塘", "id_type": "resident", "id_number": "330106198002020010", "phone": "13700002222",
            "certificates": [{"code": "id_card", "name": "居民身份证", "number": None, "issuer": "杭州市公安局",
                              "valid_to": None}]}  # fmt: skip
ZHANG = ("张伟", "110105199003071239")  # Beijing 朝阳: household_register, marriage_certificate, id_card


def person(name: str, number: str, source: Source = Source.ID_CARD, **kw) -> Identity:
    card = CardType.SOCIAL_SECURITY if source is Source.SOCIAL_SECURITY_CARD else CardType.RESIDENT
    return Identity(source=source, card_type=kw.pop("card_type", card), name=name, id_number=number, **kw)


@pytest.fixture(scope="session")
def residents_file(tmp_path_factory) -> Path:
    data = json.loads(RESIDENTS_FILE.read_text("utf-8"))
    data["residents"] += [LOCAL, HANGZHOU]
    data["regions"]["330199"] = "示例县行政服务中心"
    path = tmp_path_factory.mktemp("residents") / "residents.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(config_dir() / "catalog")


@pytest.fixture(scope="session")
def settings():
    return load_settings(site_file=None).settings


@pytest.fixture
def sim(tmp_path, residents_file):
    simulator = PlatformSimulator(tmp_path / "platform.sqlite3", token=TOKEN, residents=residents_file, seed=3)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(sim):
    c = PlatformClient(sim.url, TOKEN, KIOSK, timeout=(2.0, 5.0))
    yield c
    c.close()


@pytest.fixture
def outbox(tmp_path, client):
    box = Outbox(tmp_path / "data", client, KIOSK, backoff_base=0.05, backoff_cap=0.5)
    yield box
    box.stop()
    box.close()


@pytest.fixture
def services(settings, catalog, client, outbox):
    return ApplicationOffice(settings=settings, catalog=catalog, client=client, outbox=outbox,
                    holiday_tables=load_tables(config_dir() / "holidays"), now=lambda: NOW)


@pytest.fixture
def session(services):
    return services.new_session()


@pytest.fixture
def zhang(session):
    """A session where 张伟 (registered in Beijing 朝阳) is verified."""
    outcome = session.verify_card(person(*ZHANG))
    assert outcome.verified, outcome.message
    return session


@pytest.fixture
def local(session):
    """A session where 周建国 (registered in 示例县) is verified."""
    assert session.verify_card(person(LOCAL["name"], LOCAL["id_number"])).verified
    return session


class PathAdapter(requests.adapters.BaseAdapter):
    """Canned answers per URL path (status, body bytes) for malformed-answer tests; unknown paths 404."""

    def __init__(self, answers: dict[str, tuple[int, bytes]]):
        super().__init__()
        self.answers = answers

    def send(self, request, **kwargs):
        path = request.path_url.split("?")[0]
        status, body = self.answers.get(path, (404, b'{"error":{"code":"not_found","message":"x"}}'))
        response = requests.Response()
        response.status_code, response.raw = status, io.BytesIO(body)
        response.request, response.url = request, request.url
        return response

    def close(self):
        pass


def canned_client(answers: dict[str, tuple[int, bytes]]) -> PlatformClient:
    def factory():
        s = requests.Session()
        s.mount("https://", PathAdapter(answers))
        return s

    return PlatformClient("https://gateway.example.gov.cn", "tok", KIOSK, session_factory=factory)


@pytest.fixture
def h():
    """Constants and helpers above (importlib mode cannot import conftest)."""
    return types.SimpleNamespace(
        TOKEN=TOKEN, KIOSK=KIOSK, NOW=NOW, TZ=TZ, JPEG=JPEG, PNG=PNG, PDF=PDF, LOCAL=LOCAL, HANGZHOU=HANGZHOU,
        ZHANG=ZHANG, person=person, canned_client=canned_client,
    )
