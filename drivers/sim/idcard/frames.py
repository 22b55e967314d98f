"""The simulator's own framing (reader side): replies out, commands in. Shares nothing with the driver."""

from __future__ import annotations

import functools
import operator
import struct

SYNC = bytes.fromhex("AAAAAA9669")


def xor_of(data: bytes) -> int:
    return functools.reduce(operator.xor, data, 0)


def reply(sw3: int, data: bytes = b"", *, corrupt: bool = False) -> bytes:
    """SW1 SW2 SW3 [DATA] CHK after SYNC and a big-endian LEN counting SW..CHK."""
    after_len = bytes([0x00, 0x00, sw3]) + data
    length = struct.pack(">H", len(after_len) + 1)
    chk = xor_of(length + after_len) ^ (0x5A if corrupt else 0)
    return SYNC + length + after_len + bytes([chk])


class CommandBuffer:
    """Collects host bytes and yields (cmd, para, data, checksum_ok) per complete command."""

    MAX_BODY = 64

    def __init__(self) -> None:
        self.pending = b""

    def push(self, data: bytes) -> list[tuple[int, int, bytes, bool]]:
        self.pending += data
        commands: list[tuple[int, int, bytes, bool]] = []
        while True:
            at = self.pending.find(SYNC)
            if at < 0:
                self.pending = self.pending[-4:]
                return commands
            self.pending = self.pending[at:]
            if len(self.pending) < 7:
                return commands
            (length,) = struct.unpack(">H", self.pending[5:7])
            if length < 3 or length > self.MAX_BODY:
                self.pending = self.pending[1:]
                commands.append((-1, -1, b"", False))  # a reader answers SW3 11 (length error)
                continue
            if len(self.pending) < 7 + length:
                return commands
            body = self.pending[7 : 7 + length]
            ok = xor_of(self.pending[5 : 7 + length - 1]) == body[-1]
            commands.append((body[0], body[1], body[2:-1], ok))
            self.pending = self.pending[7 + length :]
