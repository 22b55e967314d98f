"""Evaluation (好差评): five faces from 非常满意 to 非常不满意; the two lowest need at least one reason."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, NumericProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.applications import POOR_REASONS
from kiosk.i18n import N_
from screens.widgets import KioskScreen

LEVELS = (
    (5, N_("Very satisfied")),
    (4, N_("Satisfied")),
    (3, N_("Fairly satisfied")),
    (2, N_("Dissatisfied")),
    (1, N_("Very dissatisfied")),
)
# The reasons the platform counts (kiosk.applications.POOR_REASONS, sent as they are) and what each button says.
REASONS = tuple(zip(POOR_REASONS, (
    N_("Took too long"),
    N_("Unclear what materials were needed"),
    N_("Too many steps"),
    N_("The machine did not work properly"),
    N_("Not satisfied with the result"),
    N_("Staff attitude"),
), strict=True))  # fmt: skip


class FaceButton(ButtonBehavior, BoxLayout):
    level: int = NumericProperty(3)
    selected_level: int = NumericProperty(0)
    chosen: bool = BooleanProperty(False)
    ink = ListProperty([0.0, 0.0, 0.0, 1.0])  # the face's and caption's colour (contrasting with the fill)


class EvaluateScreen(KioskScreen):
    level: int = NumericProperty(0)
    reasons = ListProperty([])

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="How satisfied are you? Touch a face", **kwargs)

    def pick(self, level: int) -> None:
        self.level = level
        if level > 2:
            self.reasons = []

    def toggle_reason(self, reason: str) -> None:
        self.reasons = [r for r in self.reasons if r != reason] if reason in self.reasons else [*self.reasons, reason]

    @property
    def can_send(self) -> bool:
        return self.level > 2 or (self.level > 0 and bool(self.reasons))

    def send(self) -> None:
        if not self.can_send:
            return
        self.journey.evaluate(self.level, list(self.reasons))
        self.app.navigate("goodbye")

    def skip(self) -> None:
        self.app.navigate("goodbye")

    def wipe(self) -> None:
        self.level = 0
        self.reasons = []
