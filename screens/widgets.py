"""Shared widget classes; their looks live in widgets.kv."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label


class KButton(ButtonBehavior, Label):
    """A large touch target with visible press feedback; ``bg``/``fg`` name palette colours."""

    bg: str = StringProperty("primary")
    fg: str = StringProperty("on_primary")


class KGhostButton(ButtonBehavior, Label):
    """A secondary action: outlined, surface-coloured."""
