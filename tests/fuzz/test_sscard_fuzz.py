"""Social-security card APDU replies and EF05/EF06 records: mutated answers cost a read, never a crash."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from drivers.contract import Code, DeviceError
from drivers.identity import id_number_valid
from drivers.sim.sscard.card import CardApplet, CardData, load_deck
from drivers.sscard import apdu, records
from tests.fuzz.mutation import FUZZ, mutated

TODAY = dt.date(2025, 1, 1)
DECK = load_deck()
card_ids = st.sampled_from(sorted(DECK))


def raw_values(card_id: str) -> dict[str, bytes]:
    return apdu.read_raw(CardApplet(CardData.from_entry(DECK[card_id])).process)


VALUES = {card_id: raw_values(card_id) for card_id in DECK}


@FUZZ
@given(card_ids, st.data())
def test_mutated_apdu_replies_end_in_invalid_data_or_an_identity(card_id, data):
    applet = CardApplet(CardData.from_entry(DECK[card_id]))
    victims = data.draw(st.sets(st.integers(0, 24), max_size=3))  # which exchanges the line garbles
    count = 0

    def transmit(command: bytes) -> bytes:
        nonlocal count
        answer = applet.process(command)
        count += 1
        return data.draw(mutated(answer)) if count - 1 in victims else answer

    try:
        identity = records.to_identity(apdu.read_raw(transmit), TODAY)
    except DeviceError as error:
        assert error.code is Code.INVALID_DATA
        assert identity_free(error.detail, DECK[card_id])
        return
    assert id_number_valid(identity.id_number) and identity.name


@FUZZ
@given(card_ids, st.data())
def test_mutated_record_values_decode_or_name_the_field(card_id, data):
    values = dict(VALUES[card_id])
    for name in data.draw(st.sets(st.sampled_from(sorted(values)), min_size=1, max_size=3)):
        values[name] = data.draw(mutated(values[name]))
    try:
        identity = records.to_identity(values, TODAY)
    except DeviceError as error:
        assert error.code is Code.INVALID_DATA
        assert identity_free(error.detail, DECK[card_id])
        return
    assert id_number_valid(identity.id_number)


@FUZZ
@given(st.integers(0, 255), mutated(st.sampled_from([bytes([t, len(v)]) + v for vals in VALUES.values()
                                                      for t, v in enumerate(vals.values(), 1)])))  # fmt: skip
def test_mutated_tagged_records_parse_or_are_invalid_data(tag, data):
    try:
        value = apdu.parse_record(tag, data)
    except DeviceError as error:
        assert error.code is Code.INVALID_DATA
    else:
        assert len(value) == data[1]


def identity_free(detail: str, entry: dict) -> bool:
    """Error details go to logs: they name the field, never the card holder's name or number."""
    return entry["name"] not in detail and entry["id_number"] not in detail
