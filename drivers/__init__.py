"""Device drivers: one package per device class, plus wire-level simulators in ``drivers.sim``.

Drivers know their wire protocol and the device contract (``drivers.contract``), nothing of kiosk/ or screens/.
"""
