"""Virtual social-security card on the real PC/SC stack (pcscd + vsmartcard-vpcd)."""

from drivers.sim.sscard.card import FAULTS, CardApplet, CardData, load_deck
from drivers.sim.sscard.environment import CardSlot, PcscEnvironment, outside_slot, pcsc_available
from drivers.sim.sscard.vpcd import VirtualCard

__all__ = [
    "FAULTS",
    "CardApplet",
    "CardData",
    "CardSlot",
    "PcscEnvironment",
    "VirtualCard",
    "load_deck",
    "outside_slot",
    "pcsc_available",
]
