"""Camera source strings: a device index ("0"), a path ("/dev/video2", "clip.avi") or a URL ("rtsp://…").

The configured string is parsed once; ``display`` is what may appear in logs and status (a URL's
password is masked, since stream URLs often carry credentials).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class SourceKind(enum.StrEnum):
    INDEX = "index"
    PATH = "path"
    URL = "url"


@dataclass(frozen=True)
class CameraSource:
    kind: SourceKind
    value: int | str

    @property
    def is_live(self) -> bool:
        """A device or a stream paces itself; a file must be paced and may loop."""
        return self.kind is not SourceKind.PATH or str(self.value).startswith("/dev/")

    @property
    def display(self) -> str:
        if self.kind is not SourceKind.URL:
            return str(self.value)
        parts = urlsplit(str(self.value))
        if parts.password is None:
            return str(self.value)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        netloc = f"{parts.username or ''}:***@{host}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_source(text: str | int) -> CameraSource:
    """Parse a configured source; raises ValueError for an empty string or a negative index."""
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"camera index must be >= 0, got {text}")
        return CameraSource(SourceKind.INDEX, text)
    stripped = text.strip()
    if not stripped:
        raise ValueError("empty camera source")
    if stripped.isascii() and stripped.isdigit():
        return CameraSource(SourceKind.INDEX, int(stripped))
    if stripped.startswith("-") and stripped[1:].isdigit():
        raise ValueError(f"camera index must be >= 0, got {stripped}")
    if _URL.match(stripped):
        return CameraSource(SourceKind.URL, stripped)
    return CameraSource(SourceKind.PATH, stripped)
