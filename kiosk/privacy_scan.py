"""Find personal data where it must not be: files (logs, audit trail, temp and data folders) and live objects.

Give it the personal data to look for (names, ID numbers, phones, addresses of known people — the test
residents in soak and chaos runs, or one resident's data in a support case), and it searches raw bytes in
every encoding the data could have been written in: UTF-8, GB18030 (GBK printers and cards), UTF-16-LE
(the ID card's UCS-2 text block), JSON's ``\\uXXXX`` escapes, and ID numbers/phones also as plain ASCII.
Masked forms (张*伟, 110101********1234, 138****8000) never match, so masked receipts and logs pass.

```python
scanner = PrivacyScanner(PersonalData(names=["张伟"], id_numbers=["110105199003071239"], phones=["13800138000"]))
findings = scanner.scan_tree(data_dir, exclude=["outbox.sqlite3*", "sim/platform.sqlite3*"])
findings += scanner.scan_objects()          # objects of kiosk.*, drivers.* and screens.* classes holding any of it
assert not findings, findings               # Finding.__str__ shows only masked forms
```

``scan_tree`` remembers each file's size and change time and skips unchanged files on the next call, so a soak
run can scan after every journey; append-only logs are scanned from where the last scan stopped.
"""

from __future__ import annotations

import fnmatch
import gc
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.privacy import mask_id_number, mask_name, mask_phone

_OVERLAP = 256  # bytes re-read before an appended tail, so a needle cut by the previous scan is still found
# Files are read in pieces: reading a rotated 5 MB log whole once raised glibc's mmap threshold to that size, and
# the freed heap it then kept showed as a 5 MB step in the soak's memory (the scanner shares the kiosk process).
_CHUNK = 64 * 1024  # under glibc's default mmap threshold (128 KiB)


@dataclass(frozen=True)
class PersonalData:
    names: tuple[str, ...] = ()
    id_numbers: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()

    def __init__(self, names: Iterable[str] = (), id_numbers: Iterable[str] = (), phones: Iterable[str] = (),
                 addresses: Iterable[str] = ()) -> None:  # fmt: skip
        for name, values in (("names", names), ("id_numbers", id_numbers), ("phones", phones),
                             ("addresses", addresses)):  # fmt: skip
            object.__setattr__(self, name, tuple(sorted({v.strip() for v in values if v and v.strip()})))

    def items(self) -> list[tuple[str, str]]:
        """(kind, value) pairs."""
        return ([("name", v) for v in self.names] + [("id_number", v) for v in self.id_numbers]
                + [("phone", v) for v in self.phones] + [("address", v) for v in self.addresses])  # fmt: skip


def masked(kind: str, value: str) -> str:
    """The form of a needle that may be shown in a report."""
    if kind == "name":
        return mask_name(value)
    if kind == "id_number":
        return mask_id_number(value)
    if kind == "phone":
        return mask_phone(value)
    return value[:2] + "…"


@dataclass(frozen=True)
class Finding:
    where: str  # a file path, or "object <type> .attr"
    kind: str  # name, id_number, phone, address
    shown: str  # the masked value
    encoding: str
    offset: int = -1

    def __str__(self) -> str:
        at = f" at byte {self.offset}" if self.offset >= 0 else ""
        return f"{self.where}{at}: {self.kind} {self.shown} ({self.encoding})"


def _encodings(value: str) -> list[tuple[str, bytes]]:
    forms = [("utf-8", value.encode("utf-8"))]
    if not value.isascii():
        forms += [("gb18030", value.encode("gb18030")), ("utf-16-le", value.encode("utf-16-le")),
                  ("json-escaped", json.dumps(value)[1:-1].encode("ascii")),
                  ("json-escaped-upper", json.dumps(value)[1:-1].upper().replace("\\U", "\\u").encode("ascii"))]
    else:
        forms.append(("utf-16-le", value.encode("utf-16-le")))
    return forms


@dataclass
class PrivacyScanner:
    data: PersonalData
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)  # path -> (size, mtime_ns)
    _needles: dict[bytes, tuple[str, str, str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for kind, value in self.data.items():
            for encoding, needle in _encodings(value):
                self._needles.setdefault(needle, (kind, value, encoding))
        # one pass per file: an alternation of every needle, longest first
        ordered = sorted(self._needles, key=len, reverse=True)
        self._pattern = re.compile(b"|".join(re.escape(n) for n in ordered)) if ordered else None
        self._text = {value: kind for kind, value in self.data.items()}
        self._text_pattern = (re.compile("|".join(re.escape(v) for v in sorted(self._text, key=len, reverse=True)))
                              if self._text else None)  # fmt: skip

    # -- bytes and files ------------------------------------------------------------------------------------------
    def scan_bytes(self, data: bytes, where: str, base: int = 0, min_end: int = 0) -> list[Finding]:
        """Matches in ``data`` (found at file offset ``base``) that end after ``min_end``."""
        if self._pattern is None:
            return []
        found = []
        for match in self._pattern.finditer(data):
            if base + match.end() <= min_end:
                continue  # in the overlap re-read before an appended tail: reported by the previous scan
            kind, value, encoding = self._needles[match.group(0)]
            found.append(Finding(where, kind, masked(kind, value), encoding, base + match.start()))
        return found

    def scan_text(self, text: str, where: str) -> list[Finding]:
        if self._text_pattern is None:
            return []
        return [Finding(where, self._text[m.group(0)], masked(self._text[m.group(0)], m.group(0)), "text")
                for m in self._text_pattern.finditer(text)]  # fmt: skip

    def scan_file(self, path: Path, *, incremental: bool = True) -> list[Finding]:
        try:
            stat = path.stat()
        except OSError:  # removed between listing and reading (a rotated log, a finished temp file)
            return []
        key = str(path)
        before = self._seen.get(key)
        now = (stat.st_size, stat.st_mtime_ns)
        if incremental and before == now:
            return []
        start = old_end = 0
        if incremental and before and path.suffix == ".log" and stat.st_size >= before[0]:
            old_end = before[0]  # logs only grow until rotated
            start = max(0, old_end - _OVERLAP)
        found: list[Finding] = []
        try:
            with path.open("rb") as handle:
                handle.seek(start)
                base, data = start, b""
                while piece := handle.read(_CHUNK):
                    data = data[-_OVERLAP:] + piece  # a needle cut between two pieces is whole in the second
                    found += self.scan_bytes(data, key, base, old_end)
                    old_end = max(old_end, base + len(data))  # what ends before this was reported already
                    base = old_end - min(len(data), _OVERLAP)
        except OSError:
            return []
        self._seen[key] = now
        return found

    def scan_tree(self, root: Path, exclude: Iterable[str] = (), *, incremental: bool = True) -> list[Finding]:
        """Every regular file under ``root`` except those whose path relative to it matches an ``exclude`` glob."""
        root = Path(root)
        patterns = list(exclude)
        found: list[Finding] = []
        if not root.exists():
            return found
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder) / name
                relative = path.relative_to(root).as_posix()
                if any(fnmatch.fnmatch(relative, p) for p in patterns) or not path.is_file():
                    continue
                found += self.scan_file(path, incremental=incremental)
        return found

    # -- live objects ---------------------------------------------------------------------------------------------
    def scan_objects(self, modules: tuple[str, ...] = ("kiosk.", "drivers.", "screens."),
                     skip: tuple[str, ...] = ("drivers.sim.", "kiosk.privacy_scan")) -> list[Finding]:  # fmt: skip
        """Instances of classes defined in ``modules`` (not ``skip``: simulators hold their test people by design)
        whose attributes — or the strings, bytes and containers directly inside them — carry personal data.
        For Kivy widgets and other event dispatchers (screens.*) the attributes include their Kivy properties,
        which live outside the instance ``__dict__``. Garbage is collected first: an object only a reference cycle
        still holds (an exception's traceback frames, an earlier test's closed reader) is not kept by anyone."""
        gc.collect()
        found: list[Finding] = []
        for obj in gc.get_objects():
            cls = type(obj)
            module = cls.__dict__.get("__module__") if isinstance(cls.__dict__, dict) else None
            module = module if isinstance(module, str) else getattr(cls, "__module__", "")
            if not isinstance(module, str) or not module.startswith(modules) or module.startswith(skip):
                continue
            values = _attributes(obj)
            for attr, value in values:
                for text in _strings(value, depth=3):
                    where = f"object {module}.{cls.__qualname__} .{attr}"
                    found += (self.scan_text(text, where) if isinstance(text, str)
                              else self.scan_bytes(text, where))  # fmt: skip
        return found


def _attributes(obj: object) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = []
    try:
        pairs += list(vars(obj).items())
    except TypeError:
        pass
    for slot in getattr(type(obj), "__slots__", ()) or ():
        if isinstance(slot, str) and hasattr(obj, slot):
            pairs.append((slot, getattr(obj, slot, None)))
    return pairs + _kivy_properties(obj)


def _kivy_properties(obj: object) -> list[tuple[str, object]]:
    """The values of a Kivy EventDispatcher's properties (recognised by its class, so kiosk/ never imports Kivy)."""
    if not any(c.__name__ == "EventDispatcher" and c.__module__ == "kivy._event" for c in type(obj).__mro__):
        return []
    pairs: list[tuple[str, object]] = []
    for name in obj.properties():  # type: ignore[attr-defined]
        try:
            pairs.append((name, getattr(obj, name)))
        except Exception:  # an alias property whose getter fails on a half-built widget
            continue
    return pairs


def _strings(value: object, depth: int) -> Iterable[str | bytes]:
    if isinstance(value, str | bytes | bytearray):
        yield bytes(value) if isinstance(value, bytearray) else value
    elif depth <= 0:
        return
    elif isinstance(value, dict):
        for k, v in list(value.items())[:1000]:
            yield from _strings(k, depth - 1)
            yield from _strings(v, depth - 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in list(value)[:1000]:
            yield from _strings(v, depth - 1)
