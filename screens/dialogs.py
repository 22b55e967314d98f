"""Modal dialogs over any screen: the idle countdown ("还需要更多时间吗？"), the card-pulled countdown, and what
happens after 呼叫工作人员."""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.modalview import ModalView


class IdleDialog(ModalView):
    seconds: int = NumericProperty(0)


class CardDialog(ModalView):
    seconds: int = NumericProperty(0)

    def update(self, left: float | None) -> None:
        self.seconds = int((left or 0) + 0.5)


class StaffCallDialog(ModalView):
    """After 呼叫工作人员: who was told, what happens next, the hotline, and the counter only while it is open."""

    notified: bool = BooleanProperty(True)  # False: no platform to carry the call (the hotline is the way)
    hotline: str = StringProperty("12345")
    counter_open: bool = BooleanProperty(False)
    counter_hours: str = StringProperty("")
