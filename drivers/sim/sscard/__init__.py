"""Virtual social-security card on the real PC/SC stack (pcscd + vsmartcard-vpcd)."""

from drivers.sim.sscard.card import FAULTS, CardApplet, CardData, load_deck
from drivers.sim.sscard.environment import PcscEnvironment, pcsc_available
from drivers.sim.sscard.vpcd import VirtualCard

__all__ = ["FAULTS", "CardApplet", "CardData", "PcscEnvironment", "VirtualCard", "load_deck", "pcsc_available"]
