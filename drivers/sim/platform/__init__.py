"""Simulator of the government service platform's gateway (the kiosk ↔ platform contract v1).

Standalone: imports only the standard library, chinese-calendar, ``drivers.identity`` and
``drivers.heartbeat_contract`` (the heartbeat check the fleet console shares), never ``kiosk``.
"""

from drivers.sim.platform.faults import ENDPOINTS, Fault
from drivers.sim.platform.server import PlatformSimulator, make_qr_payload

__all__ = ["ENDPOINTS", "Fault", "PlatformSimulator", "make_qr_payload"]
