"""Resident ID-card reader (SAM module on a serial port): frame codec, text-block decoding, the Device.

See docs/idcard.md. Public names: IdCardReader, decode_text, PhotoImage, load_photo_decoder and the
driver's error types (all DeviceErrors).
"""

from drivers.idcard.errors import CardDataError, ChecksumError, FrameError, IdCardError, LengthError, ReaderStatusError
from drivers.idcard.photo import PhotoDecoder, PhotoImage, load_photo_decoder
from drivers.idcard.reader import IdCardReader
from drivers.idcard.textblock import decode_text

__all__ = [
    "CardDataError",
    "ChecksumError",
    "FrameError",
    "IdCardError",
    "IdCardReader",
    "LengthError",
    "PhotoDecoder",
    "PhotoImage",
    "ReaderStatusError",
    "decode_text",
    "load_photo_decoder",
]
