"""The simulator on its own: the bytes it answers with, its deck, its fault specs and control API."""

from __future__ import annotations

import json
import os
import select
import time

import pytest

from drivers.sim.idcard import Fault, IdCardSimulator, load_deck
from drivers.sim.idcard.cards import encode_text

PRE = "AA AA AA 96 69"


def exchange(sim: IdCardSimulator, command_hex: str, expect: int) -> bytes:
    """Write raw command bytes to the pty slave, read back ``expect`` bytes."""
    fd = os.open(sim.port, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, bytes.fromhex(command_hex))
        out = b""
        end = time.monotonic() + 3
        while len(out) < expect and time.monotonic() < end:
            if select.select([fd], [], [], 0.1)[0]:
                out += os.read(fd, expect - len(out))
        return out
    finally:
        os.close(fd)


def test_simulator_answers_with_the_domain_vectors(sim):
    assert exchange(sim, f"{PRE} 00 03 11 FF ED", 11) == bytes.fromhex(f"{PRE} 00 04 00 00 90 94")
    assert exchange(sim, f"{PRE} 00 03 20 01 22", 11) == bytes.fromhex(f"{PRE} 00 04 00 00 80 84")
    sim.place(0)
    assert exchange(sim, f"{PRE} 00 03 20 01 22", 15) == bytes.fromhex(f"{PRE} 00 08 00 00 9F 00 00 00 00 97")
    read = exchange(sim, f"{PRE} 00 03 30 01 32", 1295)
    assert len(read) == 1295 and read[5:7] == b"\x05\x08" and read[7:14] == bytes.fromhex("00 00 90 01 00 04 00")
    assert read[14:270] == sim.cards[0].text and read[270:1294] == sim.cards[0].photo


def test_simulator_refuses_bad_commands(sim):
    assert exchange(sim, f"{PRE} 00 03 20 01 23", 11)[-2:] == bytes.fromhex("10 14")  # checksum error, 04^10=14
    assert exchange(sim, f"{PRE} 00 03 55 01 57", 11)[-2:] == bytes.fromhex("21 25")  # unknown command
    assert exchange(sim, f"{PRE} 00 01 00", 11)[-2:] == bytes.fromhex("11 15")  # length error


def test_simulator_encoder_puts_fields_at_the_documented_offsets():
    card = {c.id: c for c in load_deck()}["foreign2023-garcia"]
    text = card.text
    assert len(text) == 256
    assert text[248:250].decode("utf-16-le") == "Y"
    assert text[122:158].decode("utf-16-le") == "944724198804120016"
    assert text[242:248].decode("utf-16-le") == "ESP"
    resident = {c.id: c for c in load_deck()}["resident-bater"].text
    assert resident[204:220].decode("utf-16-le").rstrip() == "长期" and resident[248:250] == b" \x00"
    with pytest.raises(ValueError):
        encode_text("resident", {"name": "x" * 16})
    with pytest.raises(ValueError):
        encode_text("passport", {})


def test_deck_has_all_four_types_with_small_jpeg_photos():
    cards = load_deck()
    assert {c.type for c in cards} == {"resident", "hmt_permit", "foreign_permanent_2017", "foreign_permanent_2023"}
    assert any(c.fields.get("valid_to") == "长期" for c in cards)
    for card in cards:
        assert len(card.photo) == 1024 and card.photo.startswith(b"\xff\xd8")


def test_deck_errors(tmp_path):
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + bytes(2000))
    deck = tmp_path / "deck.json"
    deck.write_text(json.dumps({"cards": [{"id": "x", "type": "resident", "photo": "big.jpg"}]}))
    with pytest.raises(ValueError, match="1024"):
        load_deck(deck)


def test_fault_specs():
    assert Fault.parse("slow:0.25") == Fault("slow", 0.25)
    assert Fault.parse("read_failed") == Fault("read_failed", 1.0)
    assert Fault.parse("silence") == Fault("silence", 0.0)
    for bad in ("flood", "slow:fast"):
        with pytest.raises(ValueError):
            Fault.parse(bad)
    sim = IdCardSimulator(faults=["garbage", "bad_checksum:2"])
    assert sim.faults == ["garbage", "bad_checksum:2"]
    sim.set_faults([])
    assert sim.faults == []


def test_control_api(sim):
    assert sim.placed is None
    assert sim.place("hmt-chen").id == "hmt-chen" and sim.placed.id == "hmt-chen"
    assert sim.place(0).id == "resident-li"
    sim.remove()
    assert sim.placed is None
    with pytest.raises(KeyError):
        sim.place("nobody")
    assert sim.wire_seconds(1152) == pytest.approx(0.1)
