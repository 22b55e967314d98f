"""The placement picture (``PlacementPicture``, screens/identify.kv) that shows a card sliding onto the reader
until a card or code is read, on the screens that take one (identify, principal)."""

from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.clock import Clock, ClockEvent


class CardAnimation:
    """Mixed into a screen with a ``PlacementPicture`` of id ``card``: ``_animate`` while waiting, ``_stop`` when
    the way changes or the screen is left (also ending a QR scan under way), ``_move_on`` to the next screen a
    moment after a read, never once this screen was left (the session may have ended in that moment)."""

    ids: Any
    journey: Any
    app: Any
    _animation: Animation | None = None
    _moving: ClockEvent | None = None

    def _animate(self) -> None:
        card = self.ids.card
        card.offset = 1.0
        self._animation = Animation(offset=0.0, duration=1.2, t="out_quad") + Animation(offset=0.0, duration=0.6)
        self._animation.repeat = True
        self._animation.start(card)

    def _stop(self) -> None:
        if self._animation is not None:
            self._animation.cancel(self.ids.card)
            self._animation = None
        if self._moving is not None:
            self._moving.cancel()
            self._moving = None
        self.journey.cancel_capture("identity_qr")

    def _move_on(self, screen: str, delay: float = 0.6) -> None:
        """Stop waiting and show ``screen`` after ``delay`` (the resident reads what was read)."""
        self._stop()
        self._moving = Clock.schedule_once(lambda _dt: self.app.navigate(screen), delay)
