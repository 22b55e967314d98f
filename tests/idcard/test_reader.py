"""The reader Device against the pty simulator: every card type, events, faults and recovery."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.contract import CancelToken, Code, CommandTimedOut, DeviceState
from drivers.idcard import IdCardError, IdCardReader
from drivers.idcard.codec import FIND_CARD
from drivers.idcard.photo import PhotoDecodeError, VendorLibrary, load_photo_decoder
from drivers.identity import CardType
from drivers.sim.idcard import frames as simframes

EXPECTED = {
    "resident-li": (CardType.RESIDENT, "110101199003072340"),
    "resident-bater": (CardType.RESIDENT, "150102195511201239"),
    "hmt-chen": (CardType.HMT_PERMIT, "810000199208150019"),
    "foreign2017-smith": (CardType.FOREIGN_PERMANENT_2017, "USA310080101017"),
    "foreign2023-garcia": (CardType.FOREIGN_PERMANENT_2023, "944724198804120016"),
}


def test_every_deck_card_round_trips_through_the_wire(sim, make_reader):
    reader, events = make_reader(poll_interval=None)
    assert reader.status().fields["sam_status"] == "ok"
    assert reader.status().fields["sam_id"] == "05.01-20113748-0010335046-1676714884"
    for card in sim.cards:
        sim.place(card.id)
        completion = reader.read_card(timeout=3).result(5)
        assert completion.ok, completion.detail
        identity = completion.value
        assert (identity.card_type, identity.id_number) == EXPECTED[card.id]
        assert identity.photo == card.photo
    assert reader.status().fields["card_present"] is True
    bater = [e.payload["identity"] for e in events.all if e.kind == "identity_read"][1]
    assert bater.valid_to is None  # 长期
    garcia = [e.payload["identity"] for e in events.all if e.kind == "identity_read"][4]
    assert garcia.card_type is CardType.FOREIGN_PERMANENT_2023 and garcia.nation is None
    assert reader.counters.snapshot()["cards_read"] == 5


def test_polling_reports_placed_read_and_removed_once_each(sim, make_reader):
    reader, events = make_reader()
    sim.place("resident-bater")
    placed = events.next("card_placed")
    read = events.next("identity_read")
    assert placed.device == "idcard" and read.payload["identity"].name == "巴特尔"
    assert read.payload["photo_image"] is None  # no photo plug-in configured
    time.sleep(0.15)  # several more polls with the card still there: no second read
    assert events.kinds() == ["card_placed", "identity_read"]
    sim.remove()
    removed = events.next("card_removed")
    assert removed.payload == {"reason": "removed", "was_read": True}
    assert reader.status().fields["card_present"] is False
    sim.place("hmt-chen")
    assert events.next("identity_read").payload["identity"].card_type is CardType.HMT_PERMIT
    assert reader.counters.snapshot()["cards_placed"] == 2


def test_a_quick_swap_is_a_new_card_and_a_flicker_is_nothing(sim, make_reader, wait_until):
    _reader, events = make_reader(absent_polls=3)

    def one_missed_poll() -> None:
        sim.remove()
        finds = sim.counts["find"]
        wait_until(lambda: sim.counts["find"] >= finds + 2)  # find finds+1 began after the removal

    sim.place("resident-li")
    events.next("identity_read")
    one_missed_poll()
    sim.place("resident-li")  # the same card back at once: no events
    reads = sim.counts["read"]
    wait_until(lambda: sim.counts["read"] > reads)
    time.sleep(0.1)
    assert events.kinds() == ["card_placed", "identity_read"]
    one_missed_poll()
    sim.place("hmt-chen")  # another card within the debounce window
    assert events.next("card_removed").payload == {"reason": "replaced", "was_read": True}
    assert events.next("identity_read").payload["identity"].card_type is CardType.HMT_PERMIT
    assert events.kinds() == ["card_placed", "identity_read", "card_removed", "card_placed", "identity_read"]


def test_readers_that_go_quiet_after_a_read_still_see_the_card(make_reader, sim):
    sim.quiet_after_read = True
    _reader, events = make_reader()
    sim.place(0)
    events.next("identity_read")
    time.sleep(0.15)
    assert "card_removed" not in events.kinds()  # find answers 80 now, select still works
    sim.remove()
    events.next("card_removed")


def test_a_card_lying_on_the_reader_is_read_again_on_request(make_reader, sim):
    """For a screen that starts taking cards while one already lies there (kiosk.journey.read_lying_cards)."""
    sim.quiet_after_read = True  # the card is selected and read again even where find no longer sees it
    reader, events = make_reader()
    assert reader.read_again(timeout=3).result(5).value is False  # no card: nothing to report
    sim.place("resident-li")
    events.next("identity_read")
    reads = sim.counts["read"]
    assert reader.read_again(timeout=3).result(5).value is True
    assert events.next("identity_read").payload["identity"].id_number == EXPECTED["resident-li"][1]
    assert sim.counts["read"] == reads + 1 and events.kinds() == ["card_placed", "identity_read", "identity_read"]
    sim.remove()
    events.next("card_removed")
    assert reader.read_again(timeout=3).result(5).value is False


def test_fingerprint_reads_use_30_10(sim, make_reader):
    reader, _ = make_reader(poll_interval=None, fingerprint=True)
    sim.place(0)
    identity = reader.read_card(timeout=3).result(5).value
    assert len(identity.extra["fingerprint"]) == 1024 and sim.counts["read_fingerprint"] == 1


def test_self_test_and_capabilities(sim, make_reader):
    reader, _ = make_reader(poll_interval=None)
    result = reader.self_test().result(3)
    assert result.ok and result.value == {"sam_status": "ok", "sam_id": "05.01-20113748-0010335046-1676714884"}
    assert reader.sam_status().result(3).value == "ok"
    caps = reader.capabilities()
    assert caps["card_types"] == ["resident", "hmt_permit", "foreign_permanent_2017", "foreign_permanent_2023"]
    assert caps["photo_decode"] is False and caps["fingerprint"] is False


# -- faults ---------------------------------------------------------------------------------


def test_no_card(sim, make_reader):
    reader, _ = make_reader(poll_interval=None)
    sim.place(0)
    sim.set_faults(["no_card"])
    assert reader.read_card(timeout=2).result(4).code is Code.NO_MEDIA
    sim.set_faults([])
    assert reader.read_card(timeout=2).result(4).ok


def test_card_placed_after_n_polls(sim, make_reader):
    reader, _ = make_reader(poll_interval=None)
    sim.set_faults(["place_after:3"])
    sim.place(0)
    codes = [reader.read_card(timeout=2).result(4).code for _ in range(4)]
    assert codes == [Code.NO_MEDIA] * 3 + [Code.SUCCESS]


def test_card_placed_after_n_polls_while_polling(sim, make_reader):
    _reader, events = make_reader()
    sim.set_faults(["place_after:3"])
    sim.place(0)
    events.next("identity_read")
    assert sim.counts["find"] >= 4


def test_card_removed_mid_read_then_the_next_card(sim, make_reader):
    reader, events = make_reader()
    sim.set_faults(["remove_mid_read"])
    sim.place("resident-li")
    error = events.next("error")
    assert error.payload["code"] is Code.MEDIA_REMOVED
    assert events.next("card_removed").payload["was_read"] is False
    sim.place("foreign2023-garcia")
    assert events.next("identity_read").payload["identity"].card_type is CardType.FOREIGN_PERMANENT_2023
    assert reader.counters.snapshot()["failures.media_removed"] == 1


def test_card_removed_mid_read_as_a_command(sim, make_reader):
    reader, _ = make_reader(poll_interval=None)
    sim.set_faults(["remove_mid_read"])
    sim.place(0)
    assert reader.read_card(timeout=3).result(5).code is Code.MEDIA_REMOVED
    sim.place(1)
    assert reader.read_card(timeout=3).result(5).ok


def test_corrupted_checksum_is_invalid_data_and_the_card_is_retried(sim, make_reader):
    _reader, events = make_reader()
    sim.set_faults(["bad_checksum"])
    sim.place(0)
    error = events.next("error")
    assert error.payload["code"] is Code.INVALID_DATA and "checksum" in error.payload["detail"]
    assert events.next("identity_read").payload["identity"].id_number == "110101199003072340"
    assert events.kinds() == ["card_placed", "error", "identity_read"]


def test_corrupted_checksum_as_a_command(sim, make_reader):
    reader, _ = make_reader(poll_interval=None)
    sim.set_faults(["bad_checksum"])
    sim.place(0)
    first = reader.read_card(timeout=3).result(5)
    assert first.code is Code.INVALID_DATA and "checksum" in first.detail
    assert reader.read_card(timeout=3).result(5).ok


def test_garbage_between_frames_is_skipped(sim, make_reader):
    reader, _ = make_reader(poll_interval=None)
    sim.set_faults(["garbage"])
    for card in sim.cards:
        sim.place(card.id)
        completion = reader.read_card(timeout=3).result(5)
        assert completion.ok, completion.detail
        assert completion.value.id_number == EXPECTED[card.id][1]


def test_sam_not_authorised(sim, make_reader):
    reader, events = make_reader()
    sim.set_faults(["sam_not_authorised"])
    sim.place(0)
    assert events.next("error").payload["code"] is Code.NOT_AUTHORISED
    time.sleep(0.15)
    assert events.kinds().count("error") == 1  # reported once, not on every poll
    assert reader.self_test().result(3).code is Code.NOT_AUTHORISED
    assert reader.status().fields["sam_status"] == "not_authorised"
    sim.set_faults([])
    assert events.next("identity_read").payload["identity"].id_number == "110101199003072340"
    assert reader.status().fields["sam_status"] == "ok"


def test_sam_not_authorised_at_connect_is_a_status_field(sim, make_reader):
    sim.set_faults(["sam_not_authorised"])
    reader, _ = make_reader(poll_interval=None)
    assert reader.status().fields["sam_status"] == "not_authorised"
    sim.place(0)
    assert reader.read_card(timeout=2).result(4).code is Code.NOT_AUTHORISED


def test_read_failed(sim, make_reader):
    _reader, events = make_reader()
    sim.set_faults(["read_failed"])
    sim.place(0)
    error = events.next("error")
    assert error.payload["code"] is Code.INVALID_DATA and "SW3 41" in error.payload["detail"]
    events.next("identity_read")  # retried on the next poll


def test_read_failed_on_every_attempt_gives_up_until_the_card_is_replaced(sim, make_reader):
    _reader, events = make_reader(read_attempts=2)
    sim.set_faults(["read_failed:5"])
    sim.place(0)
    events.next("error")
    events.next("error")
    time.sleep(0.15)
    assert events.kinds() == ["card_placed", "error", "error"]
    sim.remove()
    events.next("card_removed")
    sim.set_faults([])
    sim.place(1)
    events.next("identity_read")


def test_slow_answer_within_the_timeout_succeeds(sim, make_reader):
    reader, _ = make_reader(poll_interval=None)
    sim.set_faults(["slow:0.2"])
    sim.place(0)
    assert reader.read_card(timeout=3).result(5).ok


def test_slow_answer_beyond_the_timeout_then_recovery(sim, make_reader):
    reader, _ = make_reader(poll_interval=None, read_timeout=0.3)
    sim.set_faults(["slow:0.6"])
    sim.place(0)
    assert reader.read_card(timeout=3).result(5).code is Code.TIMEOUT
    sim.set_faults([])
    time.sleep(0.6)  # the simulated reader finishes its late reply first
    completion = reader.read_card(timeout=3).result(5)
    assert completion.ok, completion.detail  # the late reply to the old read is skipped, not taken


def test_command_deadline_is_a_timeout(sim, make_reader):
    reader, _ = make_reader(poll_interval=None)
    sim.set_faults(["slow:0.5"])
    sim.place(0)
    assert reader.read_card(timeout=0.2).result(3).code is Code.TIMEOUT


def test_silence_makes_the_reader_lost_and_it_comes_back(sim, make_reader, wait_until):
    reader, events = make_reader()
    sim.set_faults(["silence"])
    assert events.next("error").payload["code"] is Code.TIMEOUT
    wait_until(lambda: reader.status().state is DeviceState.HARDWARE_ERROR)
    assert reader.read_card(timeout=1).result(3).code is Code.DEVICE_NOT_READY
    sim.set_faults([])
    wait_until(lambda: reader.status().state is DeviceState.ONLINE)
    sim.place(0)
    events.next("identity_read")


def test_a_reader_lost_for_a_moment_keeps_its_card(sim, make_reader, wait_until):
    """Three unanswered polls (a USB-serial hiccup, replies late on a starved CPU) make the reader lost; back at
    the first reconnect with the same card lying there, it is read again quietly: no removal, no second read —
    a resident's session never ends over a hiccup."""
    reader, events = make_reader()
    sim.place("resident-li")
    events.next("identity_read")
    reads = sim.counts["read"]
    sim.set_faults(["silence:3"])  # exactly the silence_limit: lost, then the reconnect's probe is answered
    wait_until(lambda: reader.status().state is DeviceState.HARDWARE_ERROR)
    wait_until(lambda: reader.status().state is DeviceState.ONLINE)
    wait_until(lambda: sim.counts["read"] > reads)  # the card read again to know it is the same one
    finds = sim.counts["find"]
    wait_until(lambda: sim.counts["find"] >= finds + 3)  # a few more polls: still nothing to report
    kinds = events.kinds()
    assert "card_removed" not in kinds and kinds.count("card_placed") == kinds.count("identity_read") == 1
    assert reader.status().fields["card_present"] is True
    sim.remove()
    assert events.next("card_removed").payload == {"reason": "removed", "was_read": True}


def test_a_reader_that_does_not_come_back_gives_up_its_card(sim, make_reader, wait_until):
    reader, events = make_reader()
    sim.place("resident-li")
    events.next("identity_read")
    sim.set_faults(["silence"])
    assert events.next("card_removed", timeout=10).payload == {"reason": "reader_lost", "was_read": True}
    assert reader.status().state is not DeviceState.ONLINE


def test_an_unanswered_select_says_nothing_about_the_card(sim, make_reader, wait_until):
    """A reader that stops reporting a read card (find answers 80) is asked by select; no answer is silence,
    not a card taken away."""
    _reader, events = make_reader()
    sim.quiet_after_read = True
    sim.place("resident-li")
    events.next("identity_read")
    selects = sim.counts["select"]
    sim.set_faults(["silence_select:2"])  # two polls in a row: as many as make a card absent
    events.next("error")
    wait_until(lambda: sim.counts["select"] >= selects + 4)  # and two answered polls after them
    assert "card_removed" not in events.kinds()
    sim.remove()
    assert events.next("card_removed").payload["reason"] == "removed"


def test_silence_as_a_command_is_a_timeout(sim, make_reader):
    reader, _ = make_reader(poll_interval=None)
    sim.set_faults(["silence"])
    sim.place(0)
    assert reader.read_card(timeout=2).result(4).code is Code.TIMEOUT


def test_a_silent_port_at_open_is_a_hardware_error(sim, make_reader, wait_until):
    sim.set_faults(["silence"])
    reader, _ = make_reader(wait_online=False)
    wait_until(lambda: reader.status().state is DeviceState.HARDWARE_ERROR)
    assert "no reader answers" in reader.status().detail


def test_missing_port_is_no_device(wait_until):
    reader = IdCardReader("/dev/tongban-no-such-port")
    reader.open()
    try:
        wait_until(lambda: reader.status().state is DeviceState.NO_DEVICE)
        assert reader.read_card(timeout=1).result(3).code is Code.DEVICE_NOT_READY
    finally:
        reader.close()


def test_cancel_stops_a_waiting_read(sim, make_reader):
    reader, _ = make_reader(poll_interval=None, read_timeout=5)
    sim.set_faults(["slow:2"])
    sim.place(0)
    command = reader.read_card(timeout=None)
    time.sleep(0.1)
    command.cancel()
    assert command.result(2).code is Code.CANCELLED


# -- photo plug-ins ------------------------------------------------------------------------


def test_photo_plugin_decodes_the_standin(sim, make_reader):
    reader, events = make_reader(photo_decoder="drivers.idcard.standin_photo:decode_standin")
    assert reader.capabilities()["photo_decode"] is True
    sim.place(0)
    image = events.next("identity_read").payload["photo_image"]
    assert (image.width, image.height, len(image.bgr)) == (102, 126, 102 * 126 * 3)


def test_a_failing_photo_plugin_costs_the_photo_not_the_read(sim, make_reader):
    def broken(raw: bytes):
        raise PhotoDecodeError("nope")

    _reader, events = make_reader(photo_decoder=broken)
    sim.place(0)
    read = events.next("identity_read")
    assert read.payload["photo_image"] is None and len(read.payload["identity"].photo) == 1024


FAKE_VENDOR_C = r"""
int unpack(const char *wlt, char *bmp, int save) {
    if (wlt[0] == 0) return -1;
    for (int i = 0; i < 126 * 308; i++) bmp[i] = (i % 308 < 306) ? wlt[0] : 0;
    return 1;
}
"""


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_ctypes_vendor_library(tmp_path):
    source = tmp_path / "wlt.c"
    source.write_text(FAKE_VENDOR_C)
    library = tmp_path / "libfakewlt.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    decoder = load_photo_decoder(f"ctypes:{library}")
    assert isinstance(decoder, VendorLibrary)
    image = decoder(b"\x07" + bytes(1023))
    assert (image.width, image.height) == (102, 126) and image.bgr == b"\x07" * (102 * 126 * 3)
    with pytest.raises(PhotoDecodeError):
        decoder(bytes(1024))


def test_photo_decoder_specs():
    assert load_photo_decoder(None) is None and load_photo_decoder("") is None
    with pytest.raises(ValueError):
        load_photo_decoder("no_colon_here")


# -- never a hang on a hostile wire ----------------------------------------------------------


class _Wire:
    """A stand-in serial port that delivers a fixed byte stream in small pieces."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def reset_input_buffer(self) -> None:
        pass

    def write(self, data: bytes) -> int:
        return len(data)

    def read(self, size: int) -> bytes:
        piece, self.data = self.data[: min(size, 7)], self.data[min(size, 7) :]
        return piece


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([b"", simframes.reply(0x9F, bytes(4)), simframes.reply(0x80)]))
def test_transact_on_random_streams_ends_in_a_driver_error_or_a_reply(noise, tail):
    reader = IdCardReader("unused", find_timeout=0.01)
    reader._serial = _Wire(noise + tail)
    try:
        reply = reader._transact(FIND_CARD, 0.01, CancelToken(None), lambda r: len(r.data) in (0, 4))
    except (IdCardError, CommandTimedOut):
        return
    assert len(reply.data) in (0, 4)
