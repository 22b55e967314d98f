"""Social-security card (社保卡) reader over PC/SC: see ``reader.SocialSecurityCardReader``."""

from drivers.sscard.apdu import SELECT_APP, read_raw
from drivers.sscard.reader import SocialSecurityCardReader
from drivers.sscard.records import to_identity

__all__ = ["SELECT_APP", "SocialSecurityCardReader", "read_raw", "to_identity"]
