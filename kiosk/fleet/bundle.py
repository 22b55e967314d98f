"""The configuration bundle: a tar of ``bundle.toml`` (version, note, settings, notices) plus ``catalog/`` and
``holidays/<year>.toml``; packing, safe unpacking and validation with the kiosk's own schema.

Validation is a list of checks: the schema check is built in (settings over the packaged defaults and, on a
kiosk, its site file); ``VALIDATORS`` holds the rest and an integrator can append to it. Each validator takes
the unpacked ``Bundle`` and returns its problems as messages (empty when the bundle is fine).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import shutil
import tarfile
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kiosk.config import Layer, load
from kiosk.config.loader import defaults_layer
from kiosk.workdays import YearTable, load_tables

log = logging.getLogger(__name__)

BUNDLE_FILE = "bundle.toml"
CATALOG_DIR = "catalog"
HOLIDAYS_DIR = "holidays"
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # a signed bundle is still bounded: a mistake must not fill the disk
MAX_MEMBERS = 10_000
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~20× faster on a catalog
# Settings that belong to one kiosk or keep it reachable: a group-wide bundle must not set them.
SITE_ONLY = (("kiosk", "id"), ("kiosk", "data_dir"), ("fleet", "repo_url"), ("fleet", "trusted_root"))


class BundleError(Exception):
    """The bundle cannot be read or is invalid; ``messages`` name the file and the field."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoticeText(_Model):
    zh_CN: str = Field(min_length=1, max_length=500)
    en: str = Field(min_length=1, max_length=1000)


class Notice(_Model):
    """A closure (the kiosk stops taking residents) or an announcement shown on the home screen, for a period."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    kind: Literal["closure", "announcement"]
    text: NoticeText
    valid_from: dt.datetime
    valid_until: dt.datetime

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _with_offset(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-01-01T08:00:00+08:00")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Notice:
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self

    def active(self, at: dt.datetime) -> bool:
        return self.valid_from <= at < self.valid_until


class Manifest(_Model):
    version: int = Field(ge=1)
    note: str = Field(min_length=1, max_length=2000)
    settings: dict[str, Any] = {}
    notices: tuple[Notice, ...] = ()

    @field_validator("notices")
    @classmethod
    def _unique_ids(cls, notices: tuple[Notice, ...]) -> tuple[Notice, ...]:
        ids = [n.id for n in notices]
        if len(set(ids)) != len(ids):
            raise ValueError("notice ids must be unique")
        return notices


def _describe(error: ValidationError, source: str) -> list[str]:
    messages = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        what = "unknown field" if item["type"] == "extra_forbidden" else item["msg"]
        messages.append(f"{source}: {where}: {what}")
    return messages


@dataclass(frozen=True)
class Bundle:
    """An unpacked bundle folder whose ``bundle.toml`` parsed."""

    root: Path
    manifest: Manifest

    @property
    def version(self) -> int:
        return self.manifest.version

    @property
    def note(self) -> str:
        return self.manifest.note

    @property
    def settings(self) -> dict[str, Any]:
        return self.manifest.settings

    @property
    def notices(self) -> tuple[Notice, ...]:
        return self.manifest.notices

    def active_notices(self, at: dt.datetime | None = None) -> list[Notice]:
        moment = at or dt.datetime.now(dt.UTC)
        return [notice for notice in self.notices if notice.active(moment)]

    @property
    def catalog_dir(self) -> Path | None:
        path = self.root / CATALOG_DIR
        return path if path.is_dir() else None

    def holiday_files(self) -> dict[str, Path]:
        folder = self.root / HOLIDAYS_DIR
        return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}

    def holidays(self) -> dict[int, YearTable]:
        """The holiday tables by year, in the format the working-day counter reads (``config/holidays/*.toml``);
        raises BundleError if one does not validate (checked before applying)."""
        tables: dict[int, YearTable] = {}
        problems: list[str] = []
        for stem, path in self.holiday_files().items():
            source = f"{HOLIDAYS_DIR}/{path.name}"
            try:
                found = load_tables(path)
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                problems.append(f"{source}: not valid TOML: {error}")
                continue
            except ValueError as error:
                problems.append(f"{source}: {error}")
                continue
            expected = int(stem) if stem.isdigit() else None
            if set(found) != {expected}:
                problems.append(f"{source}: must hold exactly the table [{stem}] (has {sorted(found)})")
                continue
            tables.update(found)
        if problems:
            raise BundleError(problems)
        return tables


def read_bundle(folder: Path) -> Bundle:
    """Parse ``folder/bundle.toml``; raises BundleError naming the file and the field."""
    path = folder / BUNDLE_FILE
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise BundleError([f"{BUNDLE_FILE}: missing"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise BundleError([f"{BUNDLE_FILE}: not valid TOML: {error}"]) from None
    try:
        return Bundle(folder, Manifest.model_validate(data))
    except ValidationError as error:
        raise BundleError(_describe(error, BUNDLE_FILE)) from None


# -- validation -----------------------------------------------------------------------------------

Validator = Callable[[Bundle], Iterable[str]]


def check_settings(bundle: Bundle, base_layers: Sequence[Layer] | None = None) -> list[str]:
    """The bundle's settings over ``base_layers`` (default: the packaged defaults), through the one schema."""
    layers = list(base_layers) if base_layers else [defaults_layer()]
    loaded = load([*layers, Layer("remote", f"{BUNDLE_FILE} [settings] of v{bundle.version}", bundle.settings)])
    return list(loaded.outcomes[-1].errors)


def check_site_only(bundle: Bundle) -> list[str]:
    problems = []
    for section, key in SITE_ONLY:
        table = bundle.settings.get(section)
        if isinstance(table, Mapping) and key in table:
            problems.append(f"{BUNDLE_FILE}: settings.{section}.{key}: belongs to each kiosk's site file, not a bundle")
    return problems


def catalog_loader() -> Callable[[Path], object] | None:
    """``kiosk.catalog.load_catalog`` (raises on an invalid catalog) when the catalog engine is installed."""
    try:
        from kiosk.catalog import load_catalog
    except ImportError:
        return None
    return load_catalog


def check_catalog(bundle: Bundle) -> list[str]:
    """With the catalog engine's ``kiosk.catalog.load_catalog`` when it is installed, else a YAML syntax check."""
    folder = bundle.catalog_dir
    if folder is None:
        if (bundle.root / CATALOG_DIR).exists():
            return [f"{CATALOG_DIR}: must be a folder"]
        return []
    load_catalog = catalog_loader()
    if load_catalog is not None:
        try:
            load_catalog(folder)
        except Exception as error:  # the catalog engine's own error names each problem
            return [f"{CATALOG_DIR}: {error}"]
        return []
    problems = []
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if not files:
        problems.append(f"{CATALOG_DIR}: empty")
    for path in files:
        rel = path.relative_to(bundle.root).as_posix()
        if path.suffix not in (".yaml", ".yml"):
            problems.append(f"{rel}: a catalog holds only YAML files")
            continue
        try:
            yaml.load(path.read_text("utf-8"), Loader=_YAML_LOADER)
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            problems.append(f"{rel}: not valid YAML: {error}")
    return problems


def check_holidays(bundle: Bundle) -> list[str]:
    folder = bundle.root / HOLIDAYS_DIR
    stray = [p.name for p in folder.iterdir() if p.suffix != ".toml"] if folder.is_dir() else []
    problems = [f"{HOLIDAYS_DIR}/{name}: expected <year>.toml" for name in sorted(stray)]
    try:
        bundle.holidays()
    except BundleError as error:
        problems.extend(error.messages)
    return problems


VALIDATORS: list[Validator] = [check_site_only, check_catalog, check_holidays]


def check_bundle(
    bundle: Bundle, base_layers: Sequence[Layer] | None = None, validators: Sequence[Validator] | None = None
) -> list[str]:
    """Every problem with ``bundle``: the settings schema first, then each validator (default ``VALIDATORS``)."""
    problems = check_settings(bundle, base_layers)
    for validator in VALIDATORS if validators is None else validators:
        problems.extend(validator(bundle))
    return problems


# -- archive --------------------------------------------------------------------------------------


def _member_problems(member: tarfile.TarInfo) -> str | None:
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return f"{member.name!r}: path leaves the bundle"
    if not (member.isfile() or member.isdir()):
        return f"{member.name!r}: only regular files and folders are allowed"
    return None


def unpack(archive: Path, dest: Path) -> Bundle:
    """Unpack ``archive`` into the new folder ``dest`` and parse it; raises BundleError (``dest`` is then removed)."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            if len(members) > MAX_MEMBERS:
                raise BundleError([f"more than {MAX_MEMBERS} files"])
            problems = [p for p in map(_member_problems, members) if p]
            if sum(m.size for m in members if m.isfile()) > MAX_UNPACKED_BYTES:
                problems.append(f"unpacks to more than {MAX_UNPACKED_BYTES} bytes")
            if problems:
                raise BundleError(problems)
            dest.mkdir(parents=True)
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, EOFError, OSError) as error:
        _remove_tree(dest)
        raise BundleError([f"not a readable tar archive: {error}"]) from None
    except BundleError:
        _remove_tree(dest)
        raise
    try:
        return read_bundle(dest)
    except BundleError:
        _remove_tree(dest)
        raise


def manifest_header(archive: Path) -> tuple[int, str]:
    """Only ``version`` and ``note`` from an archive's bundle.toml, without validating the rest."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            member = tar.extractfile(BUNDLE_FILE)
            data = tomllib.loads(member.read().decode("utf-8")) if member else None
    except (tarfile.TarError, KeyError, OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BundleError([f"{BUNDLE_FILE}: cannot read: {error}"]) from None
    data = data or {}
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BundleError([f"{BUNDLE_FILE}: version: must be a positive integer"])
    return version, str(data.get("note", ""))


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def pack(folder: Path, out: Path, base_layers: Sequence[Layer] | None = None) -> Bundle:
    """Validate ``folder`` like a kiosk would and write it as a reproducible tar at ``out``."""
    bundle = read_bundle(folder)
    problems = check_bundle(bundle, base_layers)
    if problems:
        raise BundleError(problems)
    files = sorted(p for p in folder.rglob("*") if not p.name.startswith("."))
    links = [p for p in files if p.is_symlink()]
    if links:
        raise BundleError([f"{p.relative_to(folder)}: symbolic links are not allowed in a bundle" for p in links])
    tmp = out.with_name(out.name + ".tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in files:
            info = tarfile.TarInfo(path.relative_to(folder).as_posix())
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if path.is_dir():
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                data = path.read_bytes()
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, out)
    return bundle
