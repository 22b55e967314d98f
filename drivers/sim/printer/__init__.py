"""ESC/POS printer emulator on loopback TCP, with its own parser and renderer (never the driver's encoder)."""

from drivers.sim.printer.emulator import FAULTS, EmulatedJob, PrinterEmulator, printouts_from_bytes
from drivers.sim.printer.parser import EscPosParseError, EscPosParser, Op
from drivers.sim.printer.printout import Printout, render

__all__ = ["FAULTS", "EmulatedJob", "EscPosParseError", "EscPosParser", "Op", "PrinterEmulator", "Printout",
           "printouts_from_bytes", "render"]
