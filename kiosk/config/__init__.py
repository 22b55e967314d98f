"""Configuration: one schema (``schema.Settings``), layered loading with last-good fallback (``loader``)."""

from kiosk.config.loader import ConfigError, Layer, LoadedConfig, load, load_settings
from kiosk.config.schema import Settings

__all__ = ["ConfigError", "Layer", "LoadedConfig", "Settings", "load", "load_settings"]
