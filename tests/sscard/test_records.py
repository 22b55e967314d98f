"""EF05/EF06 parsing: deck round trips in-process, bad fields, and hypothesis properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.contract import Code, DeviceError
from drivers.identity import CardType, Source, check_digit
from drivers.sim.sscard.card import CardApplet, CardData, load_deck
from drivers.sscard import apdu, records

from .conftest import EXPECTED

TODAY = dt.date(2025, 1, 1)


def read_in_process(entry: dict, *faults: str, today: dt.date = TODAY):
    card = CardApplet(CardData.from_entry(entry, faults))
    return records.to_identity(apdu.read_raw(card.process), today)


@pytest.mark.parametrize("card_id", sorted(EXPECTED))
def test_every_deck_card_reads_in_process(card_id):
    entry = load_deck()[card_id]
    identity = read_in_process(entry)
    want = EXPECTED[card_id]
    assert identity.source is Source.SOCIAL_SECURITY_CARD
    assert identity.card_type is CardType.SOCIAL_SECURITY
    assert (identity.name, identity.nation, str(identity.sex)) == (want["name"], want["nation"], want["sex"])
    assert identity.id_number == entry["id_number"]
    assert identity.region_code == want["region"] == identity.registration_region
    assert identity.birth_date.isoformat() == entry["birth_date"]
    assert identity.valid_from.isoformat() == entry["issue_date"]
    assert identity.valid_to.isoformat() == entry["valid_until"]
    assert identity.warnings == want["warnings"]
    assert identity.extra["card_number"] == entry["card_number"]
    assert identity.extra["card_id_code"] == entry["card_id_code"]
    assert identity.extra["card_version"] == entry["version"]
    assert entry["name"] not in repr(identity) and entry["id_number"] not in repr(identity)


def test_transport_faults_propagate_in_process():
    entry = load_deck()["shanghai-v3"]
    card = CardApplet(CardData.from_entry(entry))

    def pulled_after_five(command: bytes) -> bytes:
        if len(card.log) >= 5:
            raise DeviceError(Code.MEDIA_REMOVED, "card gone")
        return card.process(command)

    with pytest.raises(DeviceError) as caught:
        apdu.read_raw(pulled_after_five)
    assert caught.value.code is Code.MEDIA_REMOVED


def values(**override: bytes) -> dict[str, bytes]:
    base = {
        "card_id_code": bytes.fromhex("310100D15600000500A1B2C3D4E5F601"),
        "card_version": b"3.00",
        "issue_date": bytes.fromhex("20210615"),
        "valid_until": bytes.fromhex("20310615"),
        "card_number": b"M12345678",
        "id_number": b"310104198503122019",
        "name": "张小明".encode("gbk").ljust(30, b"\0"),
        "sex": b"1",
        "nation": b"\x01",
        "birth_date": bytes.fromhex("19850312"),
    }
    return {**base, **override}


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"id_number": b"310104198503122018"}, "id_number"),  # wrong check digit
        ({"id_number": b"31010419850312201"}, "id_number"),
        ({"issue_date": bytes.fromhex("20211315")}, "issue_date"),  # month 13
        ({"valid_until": bytes.fromhex("2031061A")}, "valid_until"),  # not BCD
        ({"birth_date": bytes.fromhex("198503")}, "birth_date"),
        ({"name": b"\x81\x20" + b"\0" * 28}, "name"),  # broken GBK
        ({"name": b"\0" * 30}, "name"),
        ({"card_id_code": bytes.fromhex("A10100D15600000500A1B2C3D4E5F601")}, "card_id_code"),
        ({"card_number": b"\x01\x02"}, "card_number"),
        ({"nation": b"\x1f"}, "nation"),
    ],
)
def test_bad_fields_are_invalid_data_naming_the_field(override, field):
    with pytest.raises(DeviceError) as caught:
        records.to_identity(values(**override), TODAY)
    assert caught.value.code is Code.INVALID_DATA
    assert caught.value.detail.startswith(field)
    assert "张" not in caught.value.detail and "3101041985" not in caught.value.detail


def test_birth_date_mismatch_and_expiry_are_warnings():
    identity = records.to_identity(values(birth_date=bytes.fromhex("19850313")), dt.date(2032, 1, 1))
    assert identity.warnings == ("birth_date_differs_from_id_number", "card_expired")


def test_name_padding_variants():
    for pad in (b"\0", b" ", b"\xff"):
        assert records.to_identity(values(name="欧阳小明".encode("gbk").ljust(30, pad)), TODAY).name == "欧阳小明"


@given(tag=st.integers(0, 255), data=st.binary(max_size=40))
def test_parse_record_never_fails_otherwise_than_invalid_data(tag, data):
    try:
        value = apdu.parse_record(tag, data)
    except DeviceError as error:
        assert error.code is Code.INVALID_DATA
    else:
        assert data[0] == tag and value == data[2 : 2 + data[1]]


@given(st.dictionaries(st.sampled_from(sorted(values())), st.binary(max_size=34)))
def test_to_identity_with_garbage_raises_only_invalid_data(garbage):
    try:
        records.to_identity(values(**garbage), TODAY)
    except DeviceError as error:
        assert error.code is Code.INVALID_DATA


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(lambda c: len(c.encode("gbk", "ignore")) == 2)
DATES = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(CJK, min_size=1, max_size=15),
    birth=DATES,
    issue=DATES,
    valid=DATES,
    region=st.integers(110000, 829999),
    serial=st.integers(0, 999),
    sex=st.sampled_from("12"),
    nation=st.integers(1, 56),
    faults=st.lists(st.sampled_from(["select-6a82", "chaining", "le-mismatch"]), unique=True),
)
def test_any_card_the_simulator_writes_reads_back(name, birth, issue, valid, region, serial, sex, nation, faults):
    first17 = f"{region}{birth:%Y%m%d}{serial:03d}"
    entry = {
        "id": "generated",
        "card_id_code": f"{region}D15600000500A1B2C3D4E5F6",
        "card_type": "33",
        "version": "3.00",
        "issuer": "00" * 12,
        "issue_date": issue.isoformat(),
        "valid_until": valid.isoformat(),
        "card_number": "X12345678",
        "id_number": first17 + check_digit(first17),
        "name": name,
        "sex": sex,
        "nation": f"{nation:02d}",
        "birthplace": str(region),
        "birth_date": birth.isoformat(),
        "faults": faults,
    }
    identity = read_in_process(entry)
    assert identity.name == name
    assert identity.id_number == entry["id_number"]
    assert (identity.birth_date, identity.valid_from, identity.valid_to) == (birth, issue, valid)
    assert identity.region_code == str(region)
    assert identity.extra["birthplace"] == str(region)
    assert "birth_date_differs_from_id_number" not in identity.warnings
