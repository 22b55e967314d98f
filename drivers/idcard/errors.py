"""The ID-card driver's own error types: every failure it raises is one of these (all DeviceErrors)."""

from __future__ import annotations

from drivers.contract import Code, DeviceError


class IdCardError(DeviceError):
    """Base of every error the ID-card driver raises."""


class FrameError(IdCardError):
    """A frame on the wire is malformed."""

    def __init__(self, detail: str) -> None:
        super().__init__(Code.INVALID_DATA, detail)


class ChecksumError(FrameError):
    pass


class LengthError(FrameError):
    pass


class CardDataError(IdCardError):
    """The card's text block does not decode to a valid identity."""

    def __init__(self, detail: str) -> None:
        super().__init__(Code.INVALID_DATA, detail)


class ReaderStatusError(IdCardError):
    """The reader answered with a non-success SW3 status byte."""

    def __init__(self, code: Code, sw3: int, detail: str) -> None:
        super().__init__(code, detail)
        self.sw3 = sw3
