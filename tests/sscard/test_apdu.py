"""Byte-exact APDU vectors for the §2 sequence, run against the virtual card's handler in-process."""

from __future__ import annotations

import pytest

from drivers.contract import Code, DeviceError
from drivers.sim.sscard.card import CardApplet, CardData, load_deck
from drivers.sscard import apdu

SELECT_APP = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
EF05_READS = ["00B2010012", "00B2020003", "00B2030006", "00B204000E", "00B2050006", "00B2060006", "00B207000B"]
EF06_READS = ["00B2080014", "00B2090020", "00B20A0003", "00B20B0003", "00B20C0005", "00B20D0006"]
PLAIN = [SELECT_APP, "00A4020002EF05", *EF05_READS, "00A4020002EF06", *EF06_READS]


def applet(card_id: str, *faults: str) -> CardApplet:
    return CardApplet(CardData.from_entry(load_deck()[card_id], faults))


def sent(card: CardApplet) -> list[str]:
    return [a.hex().upper() for a in card.log]


def test_select_apdu_is_byte_exact():
    assert apdu.SELECT_APP.hex().upper() == SELECT_APP
    assert apdu.SELECT_EF05.hex().upper() == "00A4020002EF05"
    assert apdu.SELECT_EF06.hex().upper() == "00A4020002EF06"
    assert apdu.read_record(0x09, 32).hex().upper() == "00B2090020"
    assert apdu.get_response(0x12).hex().upper() == "00C0000012"


def test_plain_card_sequence():
    card = applet("shanghai-v3")
    raw = apdu.read_raw(card.process)
    assert sent(card) == PLAIN
    assert raw["card_number"] == b"M12345678"
    assert raw["card_id_code"].hex().upper() == "310100D15600000500A1B2C3D4E5F601"
    assert raw["issue_date"] == bytes.fromhex("20210615")
    assert raw["birthplace"] == bytes.fromhex("310104")


def test_card_answers_exactly_these_bytes():
    card = applet("shanghai-v3")
    assert card.process(bytes.fromhex(SELECT_APP)).hex().upper() == "6F11840F" + SELECT_APP[10:] + "9000"
    assert card.process(bytes.fromhex("00A4020002EF05")).hex().upper() == "9000"
    assert card.process(bytes.fromhex("00B2070000")).hex().upper() == "0709" + b"M12345678".hex().upper() + "9000"
    assert card.process(bytes.fromhex("00B2050006")).hex().upper() == "0504202106159000"
    assert card.process(bytes.fromhex("00B2050005")).hex().upper() == "6C06"  # wrong Le
    assert card.process(bytes.fromhex("00B2990006")).hex().upper() == "6A83"


def test_region_card_6a82_falls_back_to_ef05():
    card = applet("shenzhen-region")
    apdu.read_raw(card.process)
    assert sent(card) == PLAIN  # the same sequence; the 6A82 to the first select is tolerated
    assert card.process(bytes.fromhex(SELECT_APP)).hex().upper() == "6A82"


def test_61xx_chaining_uses_get_response():
    card = applet("beijing-chained")
    raw = apdu.read_raw(card.process)
    log = sent(card)
    assert log[:3] == [SELECT_APP, "00C0000010", "00C0000003"]  # FCI 19 bytes: 16 + 3
    i = log.index("00B2010012")
    assert log[i : i + 3] == ["00B2010012", "00C0000010", "00C0000002"]  # tag 01: 18 bytes
    assert raw["id_number"] == b"11010819771105128X"


def test_6cxx_resends_with_the_cards_le():
    card = applet("chengdu-long-name")
    raw = apdu.read_raw(card.process)
    log = sent(card)
    i = log.index("00B2090020")
    assert log[i : i + 2] == ["00B2090020", "00B2090022"]
    assert raw["name"].rstrip(b"\0").decode("gbk") == "王芳"


@pytest.mark.parametrize(
    ("answers", "detail"),
    [
        ({SELECT_APP: "6D00"}, "not a social security card"),
        ({"00A4020002EF05": "6A82"}, "select EF05"),
        ({"00B2010012": "6A83"}, "read record 01"),  # a required record missing
        ({"00B2010012": "0201339000"}, "card answered tag 02"),
        ({"00B2010012": "01FF00119000"}, "exceeds"),
        ({"00B2010012": "90"}, "no status word"),
        ({"00B2010012": "6110"}, "kept chaining"),  # GET RESPONSE answered 61xx forever
    ],
)
def test_bad_answers_are_invalid_data(answers, detail):
    card = applet("shanghai-v3")

    def transmit(command: bytes) -> bytes:
        key = command.hex().upper()
        if key in answers or (key.startswith("00C0") and "00B2010012" in answers):
            return bytes.fromhex(answers.get(key, answers.get("00B2010012")))
        return card.process(command)

    with pytest.raises(DeviceError) as caught:
        apdu.read_raw(transmit)
    assert caught.value.code is Code.INVALID_DATA
    assert detail in caught.value.detail


def test_optional_records_may_be_missing():
    card = applet("shanghai-v3")
    del card.card.ef05[0x04], card.card.ef06[0x0C]
    raw = apdu.read_raw(card.process)
    assert "issuer" not in raw and "birthplace" not in raw and raw["name"]


def test_check_runs_between_apdus():
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 3:
            raise DeviceError(Code.CANCELLED, "stop")

    card = applet("shanghai-v3")
    with pytest.raises(DeviceError):
        apdu.read_raw(card.process, check)
    assert len(card.log) == 3
