"""Wire-level simulator of a SAM ID-card reader on a pseudo-terminal (see simulator.py and docs/idcard.md)."""

from drivers.sim.idcard.cards import SimCard, encode_text, load_deck
from drivers.sim.idcard.simulator import FAULTS, Fault, IdCardSimulator

__all__ = ["FAULTS", "Fault", "IdCardSimulator", "SimCard", "encode_text", "load_deck"]
