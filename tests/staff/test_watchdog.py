"""sd_notify datagrams, received on a real AF_UNIX datagram socket as systemd would."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk import watchdog
from kiosk.watchdog import WatchdogFeeder, notify, parent_in_stat, watchdog_interval


@pytest.fixture
def listener():
    """(socket, NOTIFY_SOCKET value) for a path socket in a short folder (sun_path is 108 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="sdn-", dir="/tmp"))
    path = folder / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield sock, str(path)
    sock.close()
    shutil.rmtree(folder)


def received(sock: socket.socket) -> str:
    return sock.recv(4096).decode("utf-8")


def nothing_waiting(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        sock.recv(4096)
    except BlockingIOError:
        return True
    finally:
        sock.settimeout(2)
    return False


def test_each_message_is_one_datagram(listener):
    sock, path = listener
    env = {"NOTIFY_SOCKET": path}
    assert watchdog.ready("本机就绪 devices ok", env=env)
    assert received(sock) == "READY=1\nSTATUS=本机就绪 devices ok"
    assert watchdog.watchdog_ping(env=env)
    assert received(sock) == "WATCHDOG=1"
    assert watchdog.status("printer paper near end\nsecond line dropped", env=env)
    assert received(sock) == "STATUS=printer paper near end"
    assert watchdog.stopping(env=env)
    assert received(sock) == "STOPPING=1"
    assert notify("READY=1", env=env) and received(sock) == "READY=1"


def test_abstract_socket():
    name = f"tongban-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert watchdog.watchdog_ping(env={"NOTIFY_SOCKET": "@" + name})
        assert received(sock) == "WATCHDOG=1"


def test_reads_notify_socket_from_the_environment(listener, monkeypatch):
    sock, path = listener
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert watchdog.ready()
    assert received(sock) == "READY=1"


@pytest.mark.parametrize("env", [{}, {"NOTIFY_SOCKET": ""}, {"NOTIFY_SOCKET": "relative/path"}])
def test_without_a_socket_everything_is_a_no_op(env):
    assert not watchdog.ready(env=env)
    assert not watchdog.watchdog_ping(env=env)
    assert not WatchdogFeeder(env={**env, "WATCHDOG_USEC": "20000000"}).tick()


def test_a_socket_nobody_listens_on_is_reported_not_raised(tmp_path):
    assert not watchdog.ready(env={"NOTIFY_SOCKET": str(tmp_path / "gone")})


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "20000000"}, 20.0),
        ({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}, 20.0),
        ({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}, None),  # init: the ancestor of everything
        ({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getppid())}, 20.0),  # the compositor we run in
        ({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "pid"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_interval(env, expected):
    assert watchdog_interval(env) == expected


def test_feeder_pings_at_half_the_interval(listener, clock):
    sock, path = listener
    feeder = WatchdogFeeder(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000"}, clock=clock)
    assert feeder.enabled and feeder.period == 10
    assert feeder.tick() and received(sock) == "WATCHDOG=1"
    clock.advance(9.9)
    assert not feeder.tick()
    assert nothing_waiting(sock)
    clock.advance(0.1)
    assert feeder.tick() and received(sock) == "WATCHDOG=1"


def test_a_pid_outside_our_process_tree_is_another_services_watchdog(tmp_path):
    import subprocess
    import sys

    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert watchdog_interval({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(other.pid)}) is None
    finally:
        other.communicate(b"")


def test_the_ui_clock_callback_never_returns_false(listener, clock):
    """Kivy unschedules an interval callback that returns False: ``feed`` returns None even when no ping was due."""
    sock, path = listener
    feeder = WatchdogFeeder(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000"}, clock=clock)
    assert feeder.feed(1.0) is None and received(sock) == "WATCHDOG=1"
    assert feeder.tick() is False and feeder.feed(1.0) is None
    clock.advance(10)
    assert feeder.feed(1.0) is None and received(sock) == "WATCHDOG=1" and feeder.pings == 2


def test_feeder_without_watchdog_usec_stays_quiet(listener, clock):
    sock, path = listener
    feeder = WatchdogFeeder(env={"NOTIFY_SOCKET": path}, clock=clock)
    assert not feeder.enabled and not feeder.tick()
    assert nothing_waiting(sock)


@given(st.text(max_size=40), st.integers(0, 2**22), st.integers(0, 2**22))
def test_the_parent_pid_is_read_whatever_the_command_name(comm, pid, ppid):
    """/proc/<pid>/stat: the command name in parentheses may hold spaces, parentheses and digits."""
    assert parent_in_stat(f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 1 0 0") == ppid


@given(st.text(max_size=80))
def test_garbage_stat_lines_give_no_parent_or_a_number(line):
    parent = parent_in_stat(line)
    assert parent is None or (isinstance(parent, int) and parent >= 0)


def test_this_process_parent_is_found():
    assert watchdog.ancestors()[:1] == ([os.getppid()] if os.getppid() > 1 else [])
