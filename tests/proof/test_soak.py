"""A short soak: 30 journeys through kiosk/ on every simulator lose no application, crash nowhere, leak nothing."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.proof.conftest import ROOT

_spec = importlib.util.spec_from_file_location("bench_soak", ROOT / "bench" / "soak.py")
soak = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = soak
_spec.loader.exec_module(soak)


@pytest.mark.slow
def test_short_soak_loses_nothing_and_leaks_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # soak points TMPDIR at its own folder; restore it afterwards
    monkeypatch.setattr("tempfile.tempdir", None)
    result = soak.soak(30, tmp_path, object_scan_every=1, quiet=True)
    assert result["crashes"] == []
    assert result["leaks"] == []
    assert result["drained"] and result["lost"] == 0 and result["duplicated"] == 0
    assert result["unclear"] == 0
    assert result["outcomes"].get("accepted", 0) >= 15 and result["receipts_not_printed"] == 0
    assert result["end"]["fds"] == result["warm"]["fds"]
    figures = {f["name"]: f for f in soak.figures(result)}
    assert figures["soak.privacy_findings"]["value"] == 0
