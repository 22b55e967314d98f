"""Modal dialogs over any screen: the idle countdown ("还需要更多时间吗？") and the card-pulled countdown."""

from __future__ import annotations

from kivy.properties import NumericProperty
from kivy.uix.modalview import ModalView


class IdleDialog(ModalView):
    seconds: int = NumericProperty(0)


class CardDialog(ModalView):
    seconds: int = NumericProperty(0)

    def update(self, left: float | None) -> None:
        self.seconds = int((left or 0) + 0.5)
