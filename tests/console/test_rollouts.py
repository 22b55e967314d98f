"""Staged rollouts as an operator runs them: publish to the pilot, watch it, promote when healthy, or stop."""

from __future__ import annotations

import pytest

from kiosk.cli import main
from kiosk.fleet.repo import FleetRepo
from tests.console.conftest import Harness, start_console


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def bundle(tmp_path, capsys, version: int):
    folder = tmp_path / f"b{version}"
    folder.mkdir()
    (folder / "bundle.toml").write_text(f'version = {version}\nnote = "v{version}"\n[settings.idle]\ntimeout_s = 90\n')
    status, _, err = run(capsys, "fleet", "pack", folder, "--out", tmp_path / f"b{version}.tar")
    assert status == 0, err
    return tmp_path / f"b{version}.tar"


@pytest.fixture
def rollout(tmp_path, capsys):
    repo = tmp_path / "repo"
    assert run(capsys, "fleet", "init", repo)[0] == 0
    assert run(capsys, "fleet", "publish", repo, "--group", "all", bundle(tmp_path, capsys, 11))[0] == 0
    assert run(capsys, "fleet", "publish", repo, "--group", "pilot", bundle(tmp_path, capsys, 12))[0] == 0
    db = f"sqlite:///{tmp_path / 'console.db'}"
    service = start_console(db, repo=repo)
    console = Harness(service)
    for n in range(3):
        console.kiosk(f"P{n}", "pilot", "城南")
    for n in range(4):
        console.kiosk(f"A{n}", "all", "城北")
    for n in range(4):
        console.beat(f"A{n}", config_version="11")
    yield console, repo, db
    service.stop()


def group(rollouts, version, name):
    entry = next(r for r in rollouts if r["version"] == version)
    return entry, next(g for g in entry["groups"] if g["group"] == name)


def test_watch_the_pilot_then_promote_it(rollout, capsys):
    console, repo, db = rollout
    console.beat("P0", config_version="12")
    console.beat("P1", config_version="11", fleet={"last_refusal": {"version": 12, "reason": "bad signature"}})
    session = console.login()
    data = session.get(f"{console.url}/api/rollouts", timeout=30).json()["rollouts"]
    entry, pilot = group(data, 12, "pilot")
    assert entry["state"] == "offered"
    assert (pilot["applied"], pilot["refused"], pilot["pending"]) == (["P0"], ["P1"], ["P2"])
    assert pilot["reasons"] == {"bad signature": 1}
    assert "P1 refused version 12: bad signature" in pilot["health"]
    _, everyone = group(data, 11, "all")
    assert everyone["applied"] == ["A0", "A1", "A2", "A3"] and everyone["offered"]
    page = session.get(f"{console.url}/rollouts", timeout=30).text
    assert "配置包版本 12" in page and "bad signature (1)" in page
    assert "P1 拒绝了版本 12：bad signature" in page and "P2 仍在运行版本 —" in page

    # not healthy: one refused, one silent so far
    status, _, err = run(capsys, "fleet", "promote", repo, "--from", "pilot", "--to", "all", "--db", db)
    assert status == 1 and "P1 refused version 12: bad signature" in err and "P2 still runs version —" in err
    assert {g.group: g.version for g in FleetRepo(repo).groups()} == {"all": 11, "pilot": 12}

    console.beat("P1", config_version="12", fleet={"last_refusal": None})
    console.beat("P2", config_version="12", printer={"paper": "out"})
    status, _, err = run(capsys, "fleet", "promote", repo, "--db", db)
    assert status == 1 and "P2 has open alerts: paper_out" in err
    console.beat("P2", config_version="12")
    _, pilot = group(session.get(f"{console.url}/api/rollouts", timeout=30).json()["rollouts"], 12, "pilot")
    assert pilot["health"] == [] and "健康" in session.get(f"{console.url}/rollouts", timeout=30).text
    status, out, err = run(capsys, "fleet", "promote", repo, "--db", db, "--actor", "alice")
    assert status == 0, err
    assert "group all now gets bundle version 12 (promoted from pilot)" in out
    assert {g.group: g.version for g in FleetRepo(repo).groups()} == {"all": 12, "pilot": 12}
    data = session.get(f"{console.url}/api/rollouts", timeout=30).json()["rollouts"]
    entry, everyone = group(data, 12, "all")
    assert everyone["offered"] and everyone["pending"] == ["A0", "A1", "A2", "A3"]
    assert [(e["action"], e["grp"], e["actor"]) for e in entry["events"]] == [("promoted", "all", "alice")]
    console.beat("A0", config_version="12")
    _, everyone = group(session.get(f"{console.url}/api/rollouts", timeout=30).json()["rollouts"], 12, "all")
    assert everyone["applied"] == ["A0"] and len(everyone["pending"]) == 3
    # the overview filters by version
    v12 = session.get(f"{console.url}/api/kiosks", params={"config_version": "12"}, timeout=30).json()["kiosks"]
    assert {k["id"] for k in v12} == {"P0", "P1", "P2", "A0"}


def test_a_stopped_rollout_is_never_promoted(rollout, capsys):
    console, repo, db = rollout
    for n in range(3):
        console.beat(f"P{n}", config_version="12")
    session = console.login()
    page = session.get(f"{console.url}/rollouts", timeout=30).text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    answer = session.post(f"{console.url}/rollouts/stop", data={"csrf": csrf, "version": "12", "note": "打印异常"},
                          timeout=30)  # fmt: skip
    assert answer.status_code == 200 and "已由 alice 停止" in answer.text
    status, _, err = run(capsys, "fleet", "promote", repo, "--db", db)
    assert status == 1 and "version 12 was stopped by alice: 打印异常" in err
    assert {g.group: g.version for g in FleetRepo(repo).groups()}["all"] == 11
    # the CLI stops too, and --force overrides a stop with its reason recorded
    assert run(capsys, "fleet", "stop", "--version", "12", "--reason", "again", "--db", db)[0] == 0
    status, out, _ = run(capsys, "fleet", "promote", repo, "--db", db, "--force")
    assert status == 0 and "group all now gets bundle version 12" in out
    events = console.store.rollout_events()
    assert events[-1]["action"] == "promoted" and events[-1]["note"].startswith("forced: version 12 was stopped")


def test_viewers_cannot_stop_a_rollout(rollout):
    console, _repo, _db = rollout
    viewer = console.login("vic", "viewer")
    page = viewer.get(f"{console.url}/rollouts", timeout=30).text
    assert "/rollouts/stop" not in page
    csrf = console.csrf(viewer)
    answer = viewer.post(f"{console.url}/rollouts/stop", data={"csrf": csrf, "version": "12", "note": "x"}, timeout=30)
    assert answer.status_code == 403 and console.store.rollout_events() == []
