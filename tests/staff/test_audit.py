"""Audit trail: the hash chain, tamper detection (edit, delete, reorder), refusal of personal data, the CLI."""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.audit import (
    GENESIS,
    AuditFormatError,
    AuditTrail,
    PersonalDataError,
    Record,
    canonical,
    decode,
)
from kiosk.cli import main


def filled(path: Path, n: int = 6) -> AuditTrail:
    trail = AuditTrail(path, clock=lambda: 1_700_000_000.25)
    for i in range(n):
        trail.record("staff.action", f"op{i % 2}", action="paper_replaced", n=i)
    return trail


def tamper(path: Path, *statements: tuple[str, tuple]) -> None:
    """What someone with the file could do: drop the append-only triggers and rewrite rows."""
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("DROP TRIGGER audit_no_delete")
    for sql, params in statements:
        db.execute(sql, params)
    db.commit()
    db.close()


def body_of(path: Path, seq: int) -> dict:
    db = sqlite3.connect(path)
    (body,) = db.execute("SELECT body FROM audit WHERE seq = ?", (seq,)).fetchone()
    db.close()
    return json.loads(body)


def test_records_chain_from_genesis_and_verify(tmp_path):
    trail = filled(tmp_path / "a.db")
    records = trail.tail(100)
    assert [r.seq for r in records] == [1, 2, 3, 4, 5, 6]
    assert records[0].prev == GENESIS
    assert all(b.prev == a.digest() for a, b in itertools.pairwise(records))
    assert records[0].at == "2023-11-14T22:13:20.250Z"
    assert trail.verify().ok and trail.verify().count == 6
    assert trail.head() == (6, records[-1].digest())
    assert [r.seq for r in trail.tail(2)] == [5, 6]


def test_empty_trail_verifies(tmp_path):
    trail = AuditTrail(tmp_path / "a.db")
    assert trail.verify().ok and trail.verify().count == 0
    assert trail.head() == (0, GENESIS)


def test_the_database_itself_refuses_update_and_delete(tmp_path):
    path = tmp_path / "a.db"
    filled(path).close()
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET body = 'x' WHERE seq = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit WHERE seq = 2")


def test_edited_record_is_named(tmp_path):
    path = tmp_path / "a.db"
    filled(path).close()
    body = body_of(path, 3)
    body["actor"] = "admin"
    tamper(path, ("UPDATE audit SET body = ? WHERE seq = 3", (canonical(body),)))
    result = AuditTrail(path).verify()
    assert (result.ok, result.first_broken_seq, result.count) == (False, 3, 2)
    assert "edited" in result.reason


def test_edited_and_rehashed_record_breaks_the_next_link(tmp_path):
    path = tmp_path / "a.db"
    filled(path).close()
    body = body_of(path, 3)
    body["fields"]["n"] = 99
    entry = decode(canonical(body))
    tamper(path, ("UPDATE audit SET body = ?, hash = ? WHERE seq = 3", (entry.encode(), entry.digest())))
    result = AuditTrail(path).verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert "does not chain to record 3" in result.reason


def test_deleted_record_is_named(tmp_path):
    path = tmp_path / "a.db"
    filled(path).close()
    tamper(path, ("DELETE FROM audit WHERE seq = 4", ()))
    result = AuditTrail(path).verify()
    assert (result.ok, result.first_broken_seq) == (False, 5)
    assert "record 4 missing (deleted)" in result.reason


def test_deleted_first_record_is_named(tmp_path):
    path = tmp_path / "a.db"
    filled(path).close()
    tamper(path, ("DELETE FROM audit WHERE seq = 1", ()))
    result = AuditTrail(path).verify()
    assert (result.ok, result.first_broken_seq, result.count) == (False, 2, 0)


def test_deleted_and_renumbered_records_break_the_chain(tmp_path):
    """Delete record 2 and shift the later ones down so there is no gap: the links still break."""
    path = tmp_path / "a.db"
    filled(path).close()
    db = sqlite3.connect(path)
    rows = db.execute("SELECT seq, body FROM audit WHERE seq > 2 ORDER BY seq").fetchall()
    db.close()
    statements = [("DELETE FROM audit WHERE seq >= 2", ())]
    for seq, body in rows:
        data = json.loads(body)
        data["seq"] = seq - 1
        entry = decode(canonical(data))
        statements.append(("INSERT INTO audit VALUES (?, ?, ?)", (seq - 1, entry.encode(), entry.digest())))
    tamper(path, *statements)
    result = AuditTrail(path).verify()
    assert (result.ok, result.first_broken_seq) == (False, 2)
    assert "does not chain" in result.reason


def test_reordered_records_are_named(tmp_path):
    path = tmp_path / "a.db"
    filled(path).close()
    db = sqlite3.connect(path)
    three = db.execute("SELECT body, hash FROM audit WHERE seq = 3").fetchone()
    four = db.execute("SELECT body, hash FROM audit WHERE seq = 4").fetchone()
    db.close()
    tamper(
        path,
        ("UPDATE audit SET body = ?, hash = ? WHERE seq = 3", four),
        ("UPDATE audit SET body = ?, hash = ? WHERE seq = 4", three),
    )
    result = AuditTrail(path).verify()
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert "reordered" in result.reason


def test_undecodable_record_is_named(tmp_path):
    path = tmp_path / "a.db"
    filled(path).close()
    tamper(path, ("UPDATE audit SET body = '{not json' WHERE seq = 5", ()))
    result = AuditTrail(path).verify()
    assert (result.ok, result.first_broken_seq) == (False, 5)
    assert "cannot be decoded" in result.reason


@pytest.mark.parametrize(
    "fields",
    [
        {"id_number": "110101********1234"},
        {"Name": "张*"},
        {"phone": "138****8000"},
        {"note": "read 11010119900307123X ok"},
        {"note": "call 13800138000"},
        {"nested": {"list": ["ok", "110101199003071234"]}},
        {"number": 110101199003071234},
        {"pin": "1234"},
        {"photo": None},
        {"blob": b"bytes"},
        {"x": float("nan")},
    ],
)
def test_personal_data_is_refused_and_nothing_written(tmp_path, fields):
    trail = AuditTrail(tmp_path / "a.db")
    with pytest.raises(PersonalDataError):
        trail.record("session.end", "kiosk", **fields)
    assert trail.head() == (0, GENESIS)


def test_masked_and_hashed_forms_are_accepted(tmp_path):
    trail = AuditTrail(tmp_path / "a.db")
    trail.record("session.end", "kiosk", id_masked="110101********1234", who="a1b2c3d4e5f6", receipts=2)
    assert trail.tail(1)[0].fields["id_masked"] == "110101********1234"


def test_bad_kind_and_personal_actor_are_refused(tmp_path):
    trail = AuditTrail(tmp_path / "a.db")
    with pytest.raises(ValueError):
        trail.record("Staff Login", "op1")
    with pytest.raises(PersonalDataError):
        trail.record("staff.login", "110101199003071234")


def test_reopened_trail_continues_the_chain(tmp_path):
    path = tmp_path / "a.db"
    filled(path, 3).close()
    trail = AuditTrail(path)
    assert trail.record("config.applied", "fleet", version="2024.05.1") == 4
    assert trail.verify().ok


def test_readonly_open_of_missing_file_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        AuditTrail(tmp_path / "none.db", readonly=True)
    assert not (tmp_path / "none.db").exists()


# -- the parser --------------------------------------------------------------------------------------
json_scalars = st.none() | st.booleans() | st.integers(-(10**9), 10**9) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
records = st.builds(
    Record,
    seq=st.integers(1, 10**12),
    at=st.text(max_size=30),
    kind=st.text(max_size=20),
    actor=st.text(max_size=20),
    fields=st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    prev=st.text("0123456789abcdef", min_size=64, max_size=64),
)


@given(records)
def test_encode_decode_round_trip(entry):
    again = decode(entry.encode())
    assert again == entry
    assert again.digest() == entry.digest()


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=200), json_values.map(canonical)))
def test_decode_never_crashes_on_garbage(text):
    try:
        entry = decode(text)
    except AuditFormatError:
        return
    assert isinstance(entry, Record)


# -- the CLI -----------------------------------------------------------------------------------------
def test_cli_verify_show_and_name_the_first_broken_record(tmp_path, capsys):
    filled(tmp_path / "audit.sqlite3").close()
    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 0
    assert "intact: 6 records" in capsys.readouterr().out
    assert main(["audit", "show", "--last", "2", "--data-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].split()[0] == "5" and "paper_replaced" in lines[0]

    tamper(tmp_path / "audit.sqlite3", ("DELETE FROM audit WHERE seq = 3", ()))
    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "BROKEN at record 4" in err and "record 3 missing" in err
    assert main(["audit", "verify", "--json", "--data-dir", str(tmp_path)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["first_broken_seq"] == 4


def test_cli_missing_trail_exits_2(tmp_path, capsys):
    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 2
    assert "no audit trail" in capsys.readouterr().err


# -- the anchored head: truncation and deletion ----------------------------------------------------
def test_truncated_tail_is_named_by_the_sealed_head(tmp_path, capsys):
    path = tmp_path / "audit.sqlite3"
    filled(path).close()
    tamper(path, ("DELETE FROM audit WHERE seq >= 5", ()))
    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 1
    assert "the newest records 5–6 missing" in capsys.readouterr().err
    trail = AuditTrail(path)  # the kiosk starts again on the shortened trail: the loss goes on the record
    assert [r.kind for r in trail.tail(1)] == ["audit.records_lost"] and trail.tail(1)[0].fields["first"] == 5
    result = trail.verify()
    assert not result.ok and result.missing == ((5, 6),) and "records 5–6 lost, noted as record 5" in result.reason


def test_every_row_deleted_or_the_file_removed_is_detected(tmp_path, capsys):
    path = tmp_path / "audit.sqlite3"
    filled(path, 3).close()
    tamper(path, ("DELETE FROM audit", ()))
    result = AuditTrail(path, readonly=True).verify()
    assert not result.ok and result.missing == ((1, 3),) and "every record missing" in result.reason
    for name in ("audit.sqlite3", "audit.sqlite3-wal", "audit.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 1
    assert "every record missing: the audit database was deleted (head was record 3)" in capsys.readouterr().err


def test_an_altered_head_or_an_outside_copy_disagreeing_is_detected(tmp_path):
    path = tmp_path / "audit.sqlite3"
    trail = filled(path, 4)
    seq, digest = trail.head()
    assert trail.verify(expected_head=(seq, digest)).ok
    assert "the newest record 5 missing" in trail.verify(expected_head=(5, digest)).reason
    trail.close()
    head = json.loads(path.with_suffix(".head").read_text())
    path.with_suffix(".head").write_text(json.dumps({**head, "seq": 2}))
    result = AuditTrail(path, readonly=True).verify()
    assert not result.ok and "altered" in result.reason


def test_a_new_trail_and_an_old_one_without_a_head_verify(tmp_path):
    assert AuditTrail(tmp_path / "new.sqlite3").verify().ok
    path = tmp_path / "old.sqlite3"
    filled(path, 2).close()
    path.with_suffix(".head").unlink()
    path.with_suffix(".key").unlink()  # a trail from before sealed heads: anchored on first open
    trail = AuditTrail(path)
    assert trail.verify().ok and trail.sealed_head() == trail.head()
