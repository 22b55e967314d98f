"""Staff access: PIN hashing, sign-in, lockout with the clock advanced and across restarts, roles,
idle close, the corner-tap gesture, the schema section and the hash-pin CLI."""

from __future__ import annotations

import io
import json

import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError

from kiosk.audit import AuditTrail
from kiosk.cli import main
from kiosk.config.loader import Layer, defaults_layer, load
from kiosk.config.schema import Settings, StaffMember, StaffSection
from kiosk.staff import (
    Action,
    CornerTapGesture,
    Outcome,
    PermissionDenied,
    Role,
    SessionClosed,
    StaffAuth,
    StaffSession,
    WeakPinError,
    allowed,
    corner_region,
    hash_card,
    hash_pin,
    verify_pin,
)
from kiosk.staff.auth import STATE_FILE

# Same algorithm (argon2id), tiny cost: verification reads the parameters from each hash.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

OPERATOR_PIN = "258147"
ADMIN_PIN = "946213"
OPERATOR_CARD = "A1B2C3D4"


@pytest.fixture(scope="session")
def staff_config() -> StaffSection:
    return StaffSection(
        members=(
            StaffMember(
                id="op01",
                display_name="值班员甲",
                role="operator",
                pin_hash=hash_pin(OPERATOR_PIN, CHEAP),
                card_hash=hash_card(OPERATOR_CARD),
            ),
            StaffMember(id="adm01", display_name="管理员", role="administrator", pin_hash=hash_pin(ADMIN_PIN, CHEAP)),
        ),
        menu_idle_timeout_s=120,
    )


@pytest.fixture
def audit(tmp_path):
    trail = AuditTrail(tmp_path / "audit.sqlite3")
    yield trail
    trail.close()


@pytest.fixture
def auth(tmp_path, staff_config, audit, clock):
    return StaffAuth(staff_config, tmp_path, audit=audit, clock=clock, session_clock=clock)


def kinds(audit: AuditTrail) -> list[tuple[str, str, dict]]:
    return [(r.kind, r.actor, dict(r.fields)) for r in audit.tail(1000)]


# -- hashing ----------------------------------------------------------------------------------------
def test_pin_hash_is_argon2id_and_verifies():
    digest = hash_pin("258147", CHEAP)
    assert digest.startswith("$argon2id$v=19$")
    assert verify_pin(digest, "258147")
    assert not verify_pin(digest, "258148")
    assert hash_pin("258147", CHEAP) != digest  # salted


def test_default_pin_hash_uses_full_argon2id_cost():
    assert hash_pin("258147").startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.parametrize("bad_hash", [None, "", "$argon2id$garbage", "plain-text-pin", "$2b$12$bcrypt"])
def test_malformed_hash_is_a_mismatch_not_a_crash(bad_hash):
    assert not verify_pin(bad_hash, "258147")


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12a456", "", "111111", "123456", "987654", " 258147"])
def test_weak_or_malformed_pins_are_refused(pin):
    with pytest.raises(WeakPinError):
        hash_pin(pin, CHEAP)


def test_card_hash_is_stable_normalised_and_never_the_number():
    digest = hash_card("a1b2c3d4 ")
    assert digest == hash_card("A1B2C3D4") and len(digest) == 64
    assert "A1B2C3D4" not in digest
    with pytest.raises(ValueError):
        hash_card("  ")


# -- configuration ----------------------------------------------------------------------------------
def test_settings_have_an_empty_staff_section_by_default():
    staff = Settings().staff
    assert staff.members == () and staff.max_failures == 5 and staff.lockout_s == 300


def test_staff_members_load_from_a_site_layer(tmp_path):
    pin_hash = hash_pin(OPERATOR_PIN, CHEAP)
    site = {"staff": {"members": [{"id": "op01", "display_name": "值班员", "role": "operator", "pin_hash": pin_hash}]}}
    loaded = load([defaults_layer(), Layer("site", "site.toml", site)])
    assert loaded.errors == []
    assert loaded.settings.staff.members[0].role == "operator"


@pytest.mark.parametrize(
    "members",
    [
        [{"id": "a1", "display_name": "x", "role": "operator", "pin_hash": "258147"}],  # a PIN, not a hash
        [{"id": "a1", "display_name": "x", "role": "operator", "pin_hash": "$argon2i$v=19$m=8,t=1,p=1$x$y"}],
        [{"id": "a1", "display_name": "x", "role": "root", "pin_hash": "$argon2id$x"}],
        [{"id": "a1", "display_name": "x", "role": "operator", "pin_hash": "$argon2id$x", "card_hash": "A1B2"}],
        [
            {"id": "a1", "display_name": "x", "role": "operator", "pin_hash": "$argon2id$x"},
            {"id": "a1", "display_name": "y", "role": "operator", "pin_hash": "$argon2id$x"},
        ],
        [
            {"id": "a1", "display_name": "x", "role": "operator", "pin_hash": "$argon2id$x", "card_hash": "a" * 64},
            {"id": "a2", "display_name": "y", "role": "operator", "pin_hash": "$argon2id$x", "card_hash": "a" * 64},
        ],
    ],
)
def test_bad_staff_members_are_refused(members):
    with pytest.raises(ValidationError):
        StaffSection.model_validate({"members": members})


# -- sign-in ----------------------------------------------------------------------------------------
def test_gesture_login_finds_the_member_by_pin(auth, audit):
    result = auth.login(ADMIN_PIN)
    assert result.ok and result.session.member_id == "adm01" and result.session.role is Role.ADMINISTRATOR
    assert kinds(audit)[-1] == ("staff.login", "adm01", {"result": "ok", "method": "gesture", "role": "administrator"})


def test_card_login_checks_only_the_card_holders_pin(auth, audit):
    member = auth.identify_card(OPERATOR_CARD.lower())
    assert member is not None and member.id == "op01"
    assert auth.login(ADMIN_PIN, member_id=member.id).outcome is Outcome.WRONG_PIN  # another member's PIN
    result = auth.login(OPERATOR_PIN, member_id=member.id)
    assert result.ok and result.session.role is Role.OPERATOR
    assert auth.identify_card("FFFF0000") is None
    records = kinds(audit)
    assert records[0] == ("staff.card", "op01", {"result": "known"})
    assert records[-1][0:2] == ("staff.card", "unknown") and records[-1][2]["card"] == hash_card("FFFF0000")[:12]


def test_no_configured_staff_means_nobody_gets_in(tmp_path, clock):
    auth = StaffAuth(StaffSection(), tmp_path, clock=clock)
    assert auth.login(OPERATOR_PIN).outcome is Outcome.NO_STAFF


def test_five_wrong_pins_lock_for_five_minutes_across_a_restart(tmp_path, staff_config, audit, clock, auth):
    for attempt in range(1, 5):
        result = auth.login("000001")
        assert (result.outcome, result.failures) == (Outcome.WRONG_PIN, attempt)
    result = auth.login("000001")
    assert result.outcome is Outcome.LOCKED and result.retry_in_s == 300
    # Even the right PIN is refused while locked.
    clock.advance(120)
    assert auth.login(OPERATOR_PIN).outcome is Outcome.LOCKED
    # A restart (a new instance over the same data folder) keeps the lock.
    again = StaffAuth(staff_config, tmp_path, audit=audit, clock=clock, session_clock=clock)
    refused = again.login(OPERATOR_PIN)
    assert refused.outcome is Outcome.LOCKED and refused.retry_in_s == pytest.approx(180)
    clock.advance(179)
    assert again.retry_in_s() == pytest.approx(1)
    clock.advance(1)
    assert again.retry_in_s() == 0
    assert again.login(OPERATOR_PIN).ok
    assert json.loads((tmp_path / STATE_FILE).read_text()) == {"buckets": {}}

    logins = [r for r in kinds(audit) if r[0] == "staff.login"]
    assert [r[2]["result"] for r in logins] == ["wrong_pin"] * 5 + ["locked", "locked", "ok"]
    assert next(r for r in kinds(audit) if r[0] == "staff.lockout")[2] == {"failures": 5, "seconds": 300,
                                                                           "way": "gesture"}  # fmt: skip
    assert any(r[0] == "staff.unlocked" for r in kinds(audit))
    assert all("000001" not in json.dumps(r) and OPERATOR_PIN not in json.dumps(r) for r in kinds(audit))


def test_a_stranger_locks_only_the_gesture_and_a_staff_card_still_gets_in(auth, clock):
    for _ in range(5):
        auth.login("000001")  # a passer-by at the hidden gesture
    assert auth.login(OPERATOR_PIN).outcome is Outcome.LOCKED and auth.retry_in_s() == 300
    member = auth.identify_card(OPERATOR_CARD)
    assert auth.retry_in_s(member.id) == 0
    assert auth.login(OPERATOR_PIN, member_id=member.id).ok  # the staff card is another way in


def test_a_members_card_lock_is_that_members_only_and_backs_off(auth, clock):
    for _ in range(5):
        auth.login("000001", member_id="op01")  # a found card, wrong PINs
    assert auth.retry_in_s("op01") == 300 and auth.retry_in_s("adm01") == 0 and auth.retry_in_s() == 0
    assert auth.login(ADMIN_PIN).ok  # the gesture and other members are unaffected
    clock.advance(300)
    for _ in range(5):
        result = auth.login("000001", member_id="op01")
    assert result.outcome is Outcome.LOCKED and result.retry_in_s == 600  # the second lock in a row: doubled
    clock.advance(600)
    assert auth.login(OPERATOR_PIN, member_id="op01").ok
    for _ in range(5):
        result = auth.login("000001", member_id="op01")
    assert result.retry_in_s == 300  # a good sign-in resets the back-off
    assert auth.lock_duration(20) == 86400


def test_a_full_disk_refuses_sign_in_instead_of_hanging(tmp_path, staff_config, clock):
    from kiosk.audit import AuditUnavailable

    class FullAudit:
        def record(self, *_args, **_fields):
            raise AuditUnavailable("audit record not written: database or disk is full")

    auth = StaffAuth(staff_config, tmp_path, audit=FullAudit(), clock=clock, session_clock=clock)
    assert auth.login(OPERATOR_PIN).outcome is Outcome.UNAVAILABLE
    assert auth.identify_card(OPERATOR_CARD).id == "op01"  # the card is still recognised


def test_a_good_pin_resets_the_count(auth):
    for _ in range(4):
        auth.login("000001")
    assert auth.login(OPERATOR_PIN).ok
    for _ in range(4):
        assert auth.login("000001").outcome is Outcome.WRONG_PIN


def test_after_a_lock_expires_the_count_starts_again(auth, clock):
    for _ in range(5):
        auth.login("000001")
    clock.advance(301)
    assert auth.login("000001").outcome is Outcome.WRONG_PIN
    assert auth.login("000001").failures == 2


def test_clock_set_back_cannot_stretch_the_lock(auth, clock):
    for _ in range(5):
        auth.login("000001")
    clock.advance(-86400)  # someone sets the clock back a day
    assert auth.retry_in_s() == pytest.approx(300)
    clock.advance(300)
    assert auth.login(OPERATOR_PIN).ok


def test_damaged_lockout_file_fails_closed(tmp_path, staff_config, audit, clock):
    (tmp_path / STATE_FILE).write_text("{not json")
    auth = StaffAuth(staff_config, tmp_path, audit=audit, clock=clock, session_clock=clock)
    assert auth.login(OPERATOR_PIN).outcome is Outcome.LOCKED
    assert kinds(audit)[0] == ("staff.lockout", "system", {"reason": "state_unreadable", "seconds": 300})
    clock.advance(300)
    assert auth.login(OPERATOR_PIN).ok


# -- roles and sessions -----------------------------------------------------------------------------
@pytest.mark.parametrize("action", list(Action))
def test_role_permissions(action):
    assert allowed(Role.ADMINISTRATOR, action)
    assert allowed(Role.OPERATOR, action) == (action not in (Action.CONFIGURATION, Action.EXIT_TO_DESKTOP))


def test_operator_is_refused_admin_actions_and_both_are_audited(auth, audit):
    session = auth.login(OPERATOR_PIN).session
    session.authorize(Action.PAPER_REPLACED, device="printer")
    with pytest.raises(PermissionDenied):
        session.authorize(Action.EXIT_TO_DESKTOP)
    assert not session.can(Action.CONFIGURATION) and session.can(Action.RESTART_APP)
    assert kinds(audit)[-2:] == [
        ("staff.action", "op01", {"action": "paper_replaced", "device": "printer"}),
        ("staff.denied", "op01", {"action": "exit_to_desktop", "role": "operator"}),
    ]
    admin = auth.login(ADMIN_PIN).session
    admin.authorize(Action.EXIT_TO_DESKTOP)
    assert kinds(audit)[-1] == ("staff.action", "adm01", {"action": "exit_to_desktop"})


def test_session_closes_itself_when_idle(auth, audit, clock):
    closed = []
    session = auth.login(OPERATOR_PIN, on_close=closed.append).session
    clock.advance(100)
    session.touch()
    clock.advance(100)
    assert session.tick() and session.remaining_s() == pytest.approx(20)
    session.authorize(Action.VIEW_STATUS)  # an action counts as activity too
    clock.advance(119)
    assert session.is_open
    clock.advance(1)
    assert not session.tick() and not session.is_open
    assert closed == ["idle"] and session.closed_reason == "idle"
    with pytest.raises(SessionClosed):
        session.authorize(Action.VIEW_STATUS)
    assert not session.can(Action.VIEW_STATUS)
    session.close("logout")  # closing twice changes nothing
    assert closed == ["idle"]
    assert kinds(audit)[-1] == ("staff.session_closed", "op01", {"reason": "idle"})


def test_session_logout(clock):
    session = StaffSession("op01", "operator", 60, clock=clock)
    session.close()
    assert session.closed_reason == "logout" and session.remaining_s() == 0


# -- the hidden gesture -----------------------------------------------------------------------------
REGION = corner_region(1080, 1920, size=120)  # Kivy: origin bottom-left


def test_corner_region_for_both_axis_conventions():
    assert REGION == (960, 1800, 1080, 1920)
    assert corner_region(1080, 1920, 120, y_up=False) == (960, 0, 1080, 120)
    assert corner_region(1080, 1920, 120, corner="bottom-left") == (0, 0, 120, 120)


def test_five_taps_in_the_corner_within_three_seconds():
    gesture = CornerTapGesture(REGION, taps=5, window_s=3)
    assert [gesture.touch(1000, 1850, t) for t in (0, 0.5, 1.0, 1.5)] == [False] * 4
    assert gesture.touch(1070, 1910, 2.9)
    assert not gesture.touch(1000, 1850, 3.0)  # it starts over after firing


def test_slow_taps_do_not_open_the_menu():
    gesture = CornerTapGesture(REGION)
    assert not any(gesture.touch(1000, 1850, t) for t in (0, 1, 2, 3, 4.01))
    assert not gesture.touch(1000, 1850, 4.5)
    assert gesture.touch(1000, 1850, 4.6)  # the last five (2 … 4.6) fit in three seconds


def test_a_tap_elsewhere_starts_over():
    gesture = CornerTapGesture(REGION)
    for t in (0, 0.2, 0.4, 0.6):
        gesture.touch(1000, 1850, t)
    assert not gesture.touch(540, 960, 0.7)
    assert not gesture.touch(1000, 1850, 0.8)
    assert not any(gesture.touch(1000, 1850, t) for t in (0.9, 1.0, 1.1))
    assert gesture.touch(1000, 1850, 1.2)


def test_time_going_backwards_starts_over():
    gesture = CornerTapGesture(REGION)
    for t in (10, 10.1, 10.2, 10.3):
        gesture.touch(1000, 1850, t)
    assert not gesture.touch(1000, 1850, 5)


def test_gesture_rejects_nonsense_settings():
    with pytest.raises(ValueError):
        CornerTapGesture(REGION, taps=1)
    with pytest.raises(ValueError):
        CornerTapGesture(REGION, window_s=0)


# -- the CLI ----------------------------------------------------------------------------------------
def test_hash_pin_cli_reads_stdin_and_prints_a_verifying_hash(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("258147\n"))
    assert main(["staff", "hash-pin"]) == 0
    digest = capsys.readouterr().out.strip()
    assert digest.startswith("$argon2id$") and PasswordHasher().verify(digest, "258147")
    StaffMember(id="op01", display_name="x", role="operator", pin_hash=digest)  # pastes straight into configuration


def test_hash_pin_cli_refuses_a_weak_pin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("1234\n"))
    assert main(["staff", "hash-pin"]) == 2
    assert "6 to 12 digits" in capsys.readouterr().err


def test_hash_card_cli(capsys):
    assert main(["staff", "hash-card", OPERATOR_CARD]) == 0
    assert capsys.readouterr().out.strip() == hash_card(OPERATOR_CARD)


def test_the_no_match_hash_costs_what_a_stored_pin_costs():
    """An unknown card is checked against a fixed hash: it must use the hasher's own parameters (same time)."""
    from kiosk.staff import pins

    assert not pins._HASHER.check_needs_rehash(pins._DUMMY_HASH)
    assert pins._HASHER.verify(pins._DUMMY_HASH, "not-a-pin")
    assert pins.verify_pin(None, "not-a-pin") is False
