"""Layered configuration: packaged defaults → site file → last verified remote bundle.

Each layer is merged over the ones below it and the result validated against the one schema.
A layer that does not validate is refused whole: its last good copy (kept in the state folder)
is used instead, or none if it never loaded, and the reasons name the file and the field.
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from kiosk.atomic import write_atomic
from kiosk.config.schema import Settings
from kiosk.paths import config_dir

log = logging.getLogger(__name__)

SITE_FILE = Path("/etc/tongban/kiosk.toml")


class ConfigError(Exception):
    """A layer was refused; ``messages`` each name the source and the field."""

    def __init__(self, source: str, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.source = source
        self.messages = messages


@dataclass(frozen=True)
class Layer:
    name: str  # "defaults", "site", "remote"
    source: str  # file path or bundle id, for messages
    data: Mapping[str, Any]
    error: ConfigError | None = None  # the file could not be read or parsed

    @classmethod
    def from_file(cls, name: str, path: Path) -> Layer:
        try:
            return cls(name, str(path), read_toml(path))
        except ConfigError as error:
            return cls(name, str(path), {}, error)


@dataclass(frozen=True)
class LayerOutcome:
    name: str
    source: str
    applied: bool
    errors: tuple[str, ...] = ()
    fallback: bool = False  # the layer's last good copy was used instead


@dataclass(frozen=True)
class LoadedConfig:
    settings: Settings
    outcomes: tuple[LayerOutcome, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> list[str]:
        return [message for outcome in self.outcomes for message in outcome.errors]


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value (lists included) replaces."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(str(path), [f"{path}: file not found"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), [f"{path}: not valid TOML: {error}"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), [f"{path}: cannot read: {error}"]) from None


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown setting"
    given = error.get("input")
    shown = "" if isinstance(given, Mapping | list) else f" (got {given!r})"
    return f"{where}: {error['msg']}{shown}"


def validate(data: Mapping[str, Any], source: str) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(source, [f"{source}: {_describe(e)}" for e in error.errors()]) from None


def defaults_layer() -> Layer:
    path = config_dir() / "default.toml"
    return Layer("defaults", str(path), read_toml(path))


class LastGood:
    """The last copy of each layer that validated, so a broken layer falls back to it."""

    def __init__(self, state_dir: Path | None) -> None:
        self._dir = state_dir

    def _path(self, name: str) -> Path | None:
        return None if self._dir is None else self._dir / f"last-good-{name}.json"

    def get(self, name: str) -> dict[str, Any] | None:
        path = self._path(name)
        if path is None or not path.exists():
            return None
        try:
            return json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            log.warning("last good copy of the %s layer is unreadable; ignoring it", name)
            return None

    def put(self, name: str, data: Mapping[str, Any]) -> None:
        path = self._path(name)
        if path is None:
            return
        try:  # atomic: a crash or a full disk leaves the old copy; the layer applies all the same
            write_atomic(path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode())
        except OSError as error:
            log.error("last good copy of the %s layer not saved: %s", name, error.strerror or error)


def load(layers: list[Layer], state_dir: Path | None = None) -> LoadedConfig:
    """Merge and validate ``layers`` in order (the first must be the packaged defaults)."""
    last_good = LastGood(state_dir)
    first, *rest = layers
    merged = dict(first.data)
    settings = validate(merged, first.source)  # packaged defaults must validate: a failure is a bug
    outcomes = [LayerOutcome(first.name, first.source, True)]
    for layer in rest:
        try:
            if layer.error is not None:
                raise layer.error
            candidate = deep_merge(merged, layer.data)
            settings = validate(candidate, layer.source)
        except ConfigError as error:
            for message in error.messages:
                log.error("configuration refused: %s", message)
            fallback = last_good.get(layer.name)
            used = False
            if fallback is not None:
                try:
                    candidate = deep_merge(merged, fallback)
                    settings = validate(candidate, f"last good {layer.name}")
                    merged, used = candidate, True
                except ConfigError:
                    log.error("last good copy of the %s layer no longer validates; skipping it", layer.name)
            outcomes.append(LayerOutcome(layer.name, layer.source, False, tuple(error.messages), used))
            continue
        merged = candidate
        last_good.put(layer.name, layer.data)
        outcomes.append(LayerOutcome(layer.name, layer.source, True))
    return LoadedConfig(settings, tuple(outcomes))


def load_settings(
    site_file: Path | None = None, remote: Layer | None = None, state_dir: Path | None = None
) -> LoadedConfig:
    """The kiosk's configuration: defaults, then the site file (``--config`` or /etc), then a remote bundle."""
    layers = [defaults_layer()]
    site = site_file if site_file is not None else (SITE_FILE if SITE_FILE.exists() else None)
    if site is not None:
        layers.append(Layer.from_file("site", site))
    if remote is not None:
        layers.append(remote)
    return load(layers, state_dir)

