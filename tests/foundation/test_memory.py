"""kiosk.memory: a kiosk process keeps at most two glibc malloc arenas however many threads allocate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Threads allocate at the same time, then glibc's malloc_info() reports every arena as one <heap nr=…>.
PROBE = """
import ctypes, ctypes.util, sys, tempfile, threading
if sys.argv[1] == "limited":
    from kiosk.memory import limit_malloc_arenas
    assert limit_malloc_arenas()
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    blocks = [bytearray(4096) for _ in range(2000)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
libc.fclose.argtypes = (ctypes.c_void_p,)
with tempfile.NamedTemporaryFile(suffix=".xml") as out:
    stream = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(open(out.name).read().count("<heap nr="))
"""


def arenas(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=ROOT, env={"PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc arenas")
def test_threads_share_two_arenas_once_limited():
    assert arenas("limited") <= 2
    assert arenas("default") > 2  # what the limit is for: one arena per allocating thread


def test_the_kiosk_command_limits_arenas_before_anything_else(monkeypatch):
    import kiosk.memory
    from kiosk import cli

    calls = []
    monkeypatch.setattr(kiosk.memory, "limit_malloc_arenas", lambda: calls.append("limited") or True)
    cli.main([])  # no command: prints usage
    assert calls == ["limited"]
