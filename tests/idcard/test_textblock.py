"""Text-block decoding of all four card types against the simulator's independent encoder."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.contract import Code
from drivers.idcard import CardDataError, decode_text
from drivers.idcard.textblock import card_type_of, split_read_data
from drivers.identity import NATIONS, CardType, Sex, Source, check_digit
from drivers.sim.idcard import encode_text, load_deck

DECK = {card.id: card for card in load_deck()}


def resident(**changes: str) -> dict[str, str]:
    return {**DECK["resident-li"].fields, **changes}


def test_resident_card_with_every_field():
    card = DECK["resident-li"]
    identity = decode_text(card.text, card.photo)
    assert identity.source is Source.ID_CARD and identity.card_type is CardType.RESIDENT
    assert (identity.name, identity.sex, identity.nation, identity.nationality) == ("李晓红", Sex.FEMALE, "汉", "CHN")
    assert identity.birth_date == dt.date(1990, 3, 7)
    assert identity.address == "北京市东城区景山前街4号院2号楼3单元501室"
    assert identity.id_number == "110101199003072340" and identity.region_code == "110101"
    assert identity.registration_region == "110101"
    assert identity.authority == "北京市公安局东城分局"
    assert (identity.valid_from, identity.valid_to) == (dt.date(2015, 6, 1), dt.date(2035, 6, 1))
    assert identity.photo == card.photo and len(identity.photo) == 1024
    assert identity.warnings == () and identity.name_en is None and identity.permit_number is None


def test_long_term_card_has_no_expiry():
    identity = decode_text(DECK["resident-bater"].text)
    assert identity.valid_to is None and identity.valid_from == dt.date(2010, 8, 15)
    assert (identity.nation, identity.sex) == ("蒙古", Sex.MALE)


def test_hmt_permit():
    identity = decode_text(DECK["hmt-chen"].text)
    assert identity.card_type is CardType.HMT_PERMIT and identity.id_type == "hmt_permit"
    assert (identity.permit_number, identity.issue_count) == ("H12345678", 1)
    assert identity.nation is None and identity.id_number == "810000199208150019"
    assert identity.registration_region is None


def test_foreign_permanent_2017():
    identity = decode_text(DECK["foreign2017-smith"].text)
    assert identity.card_type is CardType.FOREIGN_PERMANENT_2017 and identity.id_type == "foreign_permanent"
    assert (identity.name, identity.name_en) == ("史密斯", "SMITH, JOHN MICHAEL")
    assert (identity.id_number, identity.nationality, identity.authority) == ("USA310080101017", "USA", "1500")
    assert identity.birth_date == dt.date(1980, 1, 1) and identity.valid_to == dt.date(2027, 6, 1)
    assert identity.extra == {"card_version": "10"} and identity.registration_region is None


def test_foreign_permanent_2023_is_not_mistaken_for_a_resident_card():
    text = DECK["foreign2023-garcia"].text
    assert card_type_of(text) is CardType.FOREIGN_PERMANENT_2023
    identity = decode_text(text)
    assert identity.card_type is CardType.FOREIGN_PERMANENT_2023 and identity.id_type == "foreign_permanent"
    assert identity.name == "玛丽亚" and identity.sex is Sex.FEMALE
    assert identity.name_en == "GARCIA MARTINEZ, MARIA DE LOS ANGELES ISABEL"  # 35 + 9 characters, two fields
    assert identity.nation is None and identity.address is None  # a resident reading would put junk here
    assert (identity.nationality, identity.renewal_count, identity.authority) == ("ESP", 0, "国家移民管理局")
    assert identity.id_number == "944724198804120016" and identity.registration_region is None
    assert identity.warnings == ()


def test_y_card_english_name_keeps_a_space_at_the_seam_and_old_card_link():
    fields = {**DECK["foreign2023-garcia"].fields, "name_en": "A" * 34 + " BCDEFG", "old_card_number": "I01"}
    identity = decode_text(encode_text("foreign_permanent_2023", fields))
    assert identity.name_en == "A" * 34 + " BCDEFG" and identity.old_card_number == "I01"


def test_nation_table_has_all_56_and_the_two_others():
    assert len(NATIONS) == 58 and len(set(NATIONS.values())) == 58
    assert [f"{n:02d}" for n in range(1, 57)] + ["97", "98"] == list(NATIONS)
    assert (NATIONS["01"], NATIONS["10"], NATIONS["56"], NATIONS["97"]) == ("汉", "朝鲜", "基诺", "其他")
    for code, name in NATIONS.items():
        assert decode_text(encode_text("resident", resident(nation=code))).nation == name


@pytest.mark.parametrize(
    ("code", "sex"), [("0", Sex.UNKNOWN), ("1", Sex.MALE), ("2", Sex.FEMALE), ("9", Sex.UNSPECIFIED)]
)
def test_sex_codes(code, sex):
    assert decode_text(encode_text("resident", resident(sex=code))).sex is sex


def test_wrong_check_digit_is_a_read_error():
    with pytest.raises(CardDataError, match="check digit") as caught:
        decode_text(encode_text("resident", resident(id_number="110101199003072341")))
    assert caught.value.code is Code.INVALID_DATA
    with pytest.raises(CardDataError, match="check digit"):
        decode_text(encode_text("foreign_permanent_2023", {**DECK["foreign2023-garcia"].fields,
                                                           "id_number": "944724198804120017"}))  # fmt: skip


def test_check_digit_x_is_accepted_in_either_case():
    first17 = next(f"11010119900307{n:03d}" for n in range(1000) if check_digit(f"11010119900307{n:03d}") == "X")
    for number in (first17 + "X", first17 + "x"):
        assert decode_text(encode_text("resident", resident(id_number=number))).id_number == first17 + "X"


def test_unknown_region_is_only_a_warning():
    first17 = "39010119900307234"
    identity = decode_text(encode_text("resident", resident(id_number=first17 + check_digit(first17))))
    assert identity.warnings == ("unknown region code 390101",)
    known = decode_text(DECK["resident-li"].text, known_region=lambda code: code != "110101")
    assert known.warnings == ("unknown region code 110101",)


def test_other_oddities_are_warnings():
    odd = decode_text(encode_text("resident", resident(sex="5", nation="77", birth="19900308")))
    assert odd.sex is Sex.UNKNOWN and odd.nation is None
    birth_mismatch = "birth date differs from the one in the ID number"
    assert set(odd.warnings) == {"unknown sex code", "unknown nation code", birth_mismatch}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name is empty"),
        ({"birth": "19901307"}, "calendar date"),
        ({"valid_from": "2015-6-1"}, "YYYYMMDD"),
        ({"valid_to": "长久"}, "YYYYMMDD"),
        ({"id_number": "11010119900307234"}, "17 digits"),
    ],
)
def test_malformed_fields_are_read_errors(changes, message):
    with pytest.raises(CardDataError, match=message):
        decode_text(encode_text("resident", resident(**changes)))


def test_unknown_marker_and_bad_sizes():
    text = bytearray(DECK["resident-li"].text)
    text[248:250] = "Q".encode("utf-16-le")
    with pytest.raises(CardDataError, match="marker"):
        decode_text(bytes(text))
    with pytest.raises(CardDataError, match="256"):
        decode_text(DECK["resident-li"].text[:-2])
    text[0:2] = b"\x00\xd8"  # a lone surrogate
    text[248:250] = " ".encode("utf-16-le")
    with pytest.raises(CardDataError, match="UCS-2"):
        decode_text(bytes(text))


def test_split_read_data():
    text, photo, fingerprint = bytes(range(256)), bytes(1024), b"\x01" * 1024
    assert split_read_data(b"\x01\x00\x04\x00" + text + photo) == (text, photo, None)
    assert split_read_data(b"\x01\x00\x04\x00\x04\x00" + text + photo + fingerprint, True) == (text, photo, fingerprint)
    for bad in (b"", b"\x01\x00\x04\x00" + text, b"\x02\x00\x04\x00" + text + photo + bytes(256)):
        with pytest.raises(CardDataError):
            split_read_data(bad)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(min_size=256, max_size=256), st.binary(max_size=600)))
def test_random_blocks_decode_or_raise_card_data_error(block):
    try:
        decode_text(block)
    except CardDataError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2400), st.booleans())
def test_random_read_data_splits_or_raises_card_data_error(data, fingerprint):
    try:
        split_read_data(data, fingerprint)
    except CardDataError:
        pass


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(cjk, min_size=1, max_size=15),
    address=st.text(cjk, max_size=35),
    birth=st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
    sequence=st.integers(0, 999),
    region=st.sampled_from(["110101", "310104", "440305", "650102"]),
    nation=st.sampled_from(list(NATIONS)),
    long_term=st.booleans(),
)
def test_resident_round_trip(name, address, birth, sequence, region, nation, long_term):
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    valid_to = "长期" if long_term else "20400101"
    fields = resident(name=name, address=address, birth=f"{birth:%Y%m%d}", nation=nation,
                      id_number=first17 + check_digit(first17), valid_to=valid_to)  # fmt: skip
    identity = decode_text(encode_text("resident", fields))
    assert (identity.name, identity.address or "", identity.birth_date) == (name, address, birth)
    assert identity.nation == NATIONS[nation] and identity.warnings == ()
    assert identity.valid_to == (None if long_term else dt.date(2040, 1, 1))
