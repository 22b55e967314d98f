"""Encryption at rest for the outbox's personal fields: AES-256-GCM under a key file made at first start.

The key file is created with mode 0600 (O_EXCL, so two processes starting at once agree on one key);
every sealed value is bound to its row by associated data, so a ciphertext copied onto another job does
not open.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12


def load_or_create_key(path: Path) -> bytes:
    """The 32-byte key in ``path``; created (mode 0600, fsynced) when missing."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        try:
            os.fchmod(fd, 0o600)  # whatever the umask said
            os.write(fd, AESGCM.generate_key(bit_length=KEY_BYTES * 8))
            os.fsync(fd)
        finally:
            os.close(fd)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        log.info("created outbox key file %s", path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("outbox key file %s had mode %o; tightened to 0600", path, mode)
        os.chmod(path, 0o600)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ValueError(f"outbox key file {path} is damaged ({len(key)} bytes, expected {KEY_BYTES})")
    return key


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plain: bytes, context: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plain, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        """Raises ``cryptography.exceptions.InvalidTag`` for a wrong key, a tampered value or another row's value."""
        return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
