"""A real full disk for tests: a tiny tmpfs mounted for the test and always unmounted after (needs root;
the test is skipped without it), and a filler that takes every free block."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def tiny_disk(where: Path, size_kb: int = 512) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(where)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, leave_bytes: int = 0) -> Path:
    """Take every free block but ``leave_bytes``: the next write that needs more fails with ENOSPC."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:  # unbuffered: a buffered file would raise ENOSPC again when it flushes on close
        block = b"\0" * (1 << 20)
        while (free := os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize - leave_bytes) > 0:
            try:
                os.write(fd, block[: min(len(block), free)])
            except OSError:
                break
    finally:
        os.close(fd)
    return filler
