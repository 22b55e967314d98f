"""Shared fuzzing strategies: valid encodings from the simulators, mutated the way a bad line or card would.

Random bytes rarely get past a parser's first check; a valid frame, record or file with a few bytes flipped,
inserted, dropped or cut reaches the deep branches. ``FUZZ`` is the budget chosen in conftest.py.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st

TESTS = Path(__file__).resolve().parents[1]
FUZZ = settings(settings.get_profile("fuzz" if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else "fuzz-default"))

INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0xAA, 0x96, 0x69, 0x90, 0x61, 0x6C, 0x1B, 0x1D, 0x10, 0x0A)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes | st.SearchStrategy[bytes], max_ops: int = 4) -> bytes:
    """``seed`` (bytes or a strategy of bytes) after 0..max_ops edits."""
    data = bytearray(draw(seed) if isinstance(seed, st.SearchStrategy) else seed)
    for _ in range(draw(st.integers(0, max_ops))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "duplicate", "interesting"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "interesting" and data:
            data[at] = draw(st.sampled_from(INTERESTING))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate" and data:
            data[at:at] = data[at : at + draw(st.integers(1, 16))]
    return bytes(data)


def chunks(data: bytes, sizes: list[int]) -> list[bytes]:
    """``data`` cut at the given sizes (the rest in one piece): how a serial line or socket delivers it."""
    out, at = [], 0
    for size in sizes:
        if at >= len(data):
            break
        out.append(data[at : at + size])
        at += size
    if at < len(data):
        out.append(data[at:])
    return out


def reuse(relative: str):
    """Another folder's test module, to reuse its strategies and fakes without copying them."""
    name = "fuzz_reuse_" + relative.replace("/", "_").removesuffix(".py")
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
