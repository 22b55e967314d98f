"""Tongban 通办: the application core of the 24-hour self-service government kiosk (no Kivy here)."""

__version__ = "0.1.0"
