"""A resident served by the running core, headless: the journey the touchscreen drives, on the real devices
(the card on the simulated reader, the receipt on the emulated printer) and the platform simulator."""

from __future__ import annotations

import queue
from typing import Any

from kiosk.core import Kiosk
from kiosk.journey import EndReason, Target

ITEM = "330199001400120000"  # 法律援助: e-certificate, a commitment, a deferrable material, four fields
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
# A platform test resident (drivers/sim/platform/residents.json), so the real-name check passes.
CARD = {"name": "张伟", "sex": "1", "nation": "01", "birth": "19900307",
        "address": "北京市朝阳区建国路88号院3号楼2单元1201室", "id_number": "110105199003071239",
        "authority": "北京市公安局朝阳分局", "valid_from": "20150601", "valid_to": "20350601"}  # fmt: skip
FORM = {"phone": "13800138000", "address": "北京市朝阳区建国路88号", "case_type": "讨要工资",
        "case_summary": "工地拖欠三个月工资共计一万二千元"}  # fmt: skip


class Resident:
    """One visit, step by step: ``begin`` (a service chosen), ``identify`` (card on the reader, real-name check),
    ``apply`` (materials and form, submitted), ``print`` (the receipt), ``leave`` (the session ends)."""

    def __init__(self, core: Kiosk) -> None:
        self.core = core
        self.journey = core.journey
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._unsubscribe = core.subscribe(lambda kind, payload: kind == "journey" and self.events.put(payload))

    def wait_for(self, what: str, timeout: float = 30.0) -> dict[str, Any]:
        while True:
            payload = self.events.get(timeout=timeout)
            if payload.get("what") == what:
                return payload

    def begin(self) -> None:
        self.journey.choose(Target.of_item(self.core.catalog.item(ITEM)))

    def identify(self) -> None:
        from drivers.sim.idcard import SimCard, load_deck

        hardware = self.core.hardware
        assert hardware is not None
        self.journey.card_roles = frozenset({"idcard"})  # the identify screen listens for the card
        hardware.sims.idcard.remove()
        hardware.sims.idcard.place(SimCard("zhang", "resident", dict(CARD), load_deck()[0].photo))
        self.wait_for("identity")
        self.journey.card_roles = frozenset()
        self.journey.verify()
        verified = self.wait_for("verified")
        assert verified["ok"], verified

    def apply(self) -> dict[str, Any]:
        for entry in self.journey.session.materials:
            if not entry.blocking:
                continue
            if entry.can_commit:
                self.journey.commit(entry.code, PNG)
            else:
                self.journey.defer(entry.code)
        for key, value in FORM.items():
            assert self.journey.set_field(key, value) is None, key
        self.journey.submit()
        return self.wait_for("submitted")

    def print(self) -> dict[str, Any]:
        self.journey.print_receipt()
        return self.wait_for("printed")

    def leave(self) -> None:
        hardware = self.core.hardware
        if hardware is not None and hardware.sims.idcard is not None:
            hardware.sims.idcard.remove()
        self.journey.end(EndReason.DONE)
        self._unsubscribe()
