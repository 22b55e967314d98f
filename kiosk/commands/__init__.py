"""Subcommand modules of the ``kiosk`` command; each exposes ``register(cli)`` (see kiosk.cli)."""
