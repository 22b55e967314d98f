"""A resident's whole journey through kiosk/ with every device on its simulator, no UI: for soak, chaos and tests.

The journey goes through the same objects the touchscreen uses: the real IdCardReader on the reader simulator →
a face photo from the camera (simulated video) → ``kiosk.applications`` (the session's real-name check on the
platform simulator, 一证通办 certificates, an application for 临时救助 with its form, a photographed page, a
signed commitment and a deferred material, submitted into the durable outbox) → the product's masked receipt
on the ESC/POS emulator → 好差评 and a progress lookup through the same services → session ended, card removed.

``KioskRig.start(data_dir, platform_url=…)`` brings up ``kiosk.hardware.Hardware`` on the simulators (the
platform simulator in-process, or an outside one given by URL and token so it survives a killed kiosk).
``rig.journey(resident, seq)`` returns an ``Outcome``: what the resident was told, never personal data.
``rig.journey(resident, seq, card="sscard", card_id=…)`` identifies with the social-security card instead: the
deck card in the virtual reader → the real ``SocialSecurityCardReader`` over pcscd → the same journey.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.identity import Identity
from drivers.sim.idcard.cards import SimCard, load_deck
from kiosk import logs
from kiosk.applications import Application, ResidentSession
from kiosk.applications import MaterialStatus as SlotStatus
from kiosk.applications.session import MAX_VERIFY_ATTEMPTS
from kiosk.catalog import load_catalog
from kiosk.config.loader import Layer, defaults_layer, load
from kiosk.core import office_for
from kiosk.hardware import Hardware
from kiosk.paths import config_dir
from kiosk.privacy import mask_id_number, mask_name, pseudonym
from kiosk.privacy_scan import PersonalData

log = logging.getLogger("tongban.journey")
ROOT = Path(__file__).resolve().parents[2]
RESIDENTS_FILE = ROOT / "drivers" / "sim" / "platform" / "residents.json"
SSCARD_DECK = ROOT / "drivers" / "sim" / "sscard" / "deck.json"
ITEM = "330199000300220000"  # 临时救助: 社区通办 for every region; commitment and 容缺 allowed
ADDRESS = "北京市朝阳区安定路{n}号院{n}号楼"


@dataclass(frozen=True)
class Resident:
    name: str
    id_number: str
    phone: str
    address: str

    def __repr__(self) -> str:  # a test person is still handled as personal data
        return f"Resident({mask_name(self.name)}, {mask_id_number(self.id_number)})"

    def card(self) -> SimCard:
        n = self.id_number
        fields = {"name": self.name, "sex": "1" if int(n[16]) % 2 else "2", "nation": "01", "birth": n[6:14],
                  "address": self.address, "id_number": n, "authority": "北京市公安局朝阳分局",
                  "valid_from": "20200101", "valid_to": "20400101"}  # fmt: skip
        return SimCard(f"resident-{pseudonym(n)}", "resident", fields)


def residents() -> list[Resident]:
    """The platform simulator's test residents who hold a resident ID card (陈静's card is reported invalid,
    赵磊's face never matches: their journeys end in a clear refusal)."""
    people = json.loads(RESIDENTS_FILE.read_text("utf-8"))["residents"]
    return [Resident(p["name"], p["id_number"], p.get("phone") or "13700000000", ADDRESS.format(n=i + 1))
            for i, p in enumerate(people) if p["id_type"] == "resident"]  # fmt: skip


def sscard_holders() -> list[tuple[Resident, str]]:
    """Platform residents who hold a card of the social-security deck, with its deck card id."""
    deck = {e["id_number"]: e["id"] for e in json.loads(SSCARD_DECK.read_text("utf-8"))["cards"]}
    return [(p, deck[p.id_number]) for p in residents() if p.id_number in deck]


def personal_data() -> PersonalData:
    """Every test person of every simulator: platform residents, the ID card deck, the social-security deck."""
    people = residents()
    names = [p.name for p in people]
    numbers = [p.id_number for p in people]
    phones = [p.phone for p in people]
    addresses = [p.address for p in people]
    for card in load_deck():
        names += [v for k, v in card.fields.items() if k in ("name", "name_en")]
        numbers += [card.fields["id_number"]]
        addresses += [card.fields.get("address", "")]
    for entry in json.loads(SSCARD_DECK.read_text("utf-8"))["cards"]:
        names.append(entry.get("name", ""))
        numbers.append(entry.get("id_number", ""))
    for person in json.loads(RESIDENTS_FILE.read_text("utf-8"))["residents"]:
        names.append(person["name"])
        numbers.append(person["id_number"])
        phones.append(person.get("phone") or "")
    return PersonalData(names=names, id_numbers=numbers, phones=phones, addresses=addresses)


@dataclass(frozen=True)
class Outcome:
    """What the resident was told. ``kind``: accepted, refused, card_unreadable, platform_unavailable."""

    seq: int
    kind: str
    message: str
    reference: str | None = None
    receipt_printed: bool = False
    progress: str = ""  # accepted / in_review / … from the platform, "queued" before delivery, "unavailable"

    @property
    def clear(self) -> bool:
        return bool(self.message) and self.kind in ("accepted", "refused", "card_unreadable", "platform_unavailable")


def settings_for(data_dir: Path, platform_url: str | None, token_file: Path | None, sscard: bool = False,
                 sscard_reader: str | None = None):  # fmt: skip
    """``sscard``: the kiosk starts its own social-security card simulator; ``sscard_reader``: instead, the reader
    name pattern of a PC/SC stack run outside the kiosk process (reached through ``PCSCLITE_CSOCK_NAME``)."""
    reader = sscard_reader or ("sim" if sscard else "none")
    site: dict[str, Any] = {
        "kiosk": {"id": "K0001", "data_dir": str(data_dir)},
        "devices": {"idcard": {"baud": 921600}, "printer": {"paper_width_mm": 80},
                    "sscard": {"reader": reader, "required": False}},
    }  # fmt: skip
    if platform_url:
        site["platform"] = {"url": platform_url, "credentials_file": str(token_file)}
    loaded = load([defaults_layer(), Layer("site", "proof harness", site)])
    if not loaded.outcomes[-1].applied:
        raise RuntimeError(f"harness settings refused: {loaded.errors}")
    return loaded.settings


@functools.cache
def _catalog():
    return load_catalog(config_dir() / "catalog")


class KioskRig:
    """The kiosk side: Hardware on the simulators, logs, and the steps of a journey."""

    def __init__(self, hw: Hardware, data_dir: Path) -> None:
        self.hw = hw
        self.data_dir = data_dir
        self.reader = hw.devices["idcard"]
        self.sscard = hw.devices["sscard"]
        self.sscard_slot = hw.sims.sscard  # where residents put their social-security card (CardSlot-like)
        self.printer = hw.devices["printer"]
        self.camera = hw.devices["camera"]
        self.client = hw.client
        self.outbox = hw.outbox
        self.audit = hw.audit
        self.services = office_for(hw.settings, _catalog(), hw)  # what the touchscreen's journey uses

    @classmethod
    def start(cls, data_dir: Path, platform_url: str | None = None, token_file: Path | None = None,
              *, sscard: bool = False, render_receipts: bool = False, sscard_slot: Any = None) -> KioskRig:  # fmt: skip
        """``sscard_slot``: the card slot (``drivers.sim.sscard.CardSlot``) of a PC/SC stack run outside this
        process; the kiosk's reader then watches that stack's reader instead of starting its own simulator."""
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        logs.setup(data_dir / "logs")
        reader = sscard_slot.reader_pattern if sscard_slot is not None else None
        hw = Hardware.start(settings_for(data_dir, platform_url, token_file, sscard, reader), data_dir)
        if hw.sims.printer is not None:
            hw.sims.printer.render_png = render_receipts  # receipts are parsed either way; PNGs only when asked
        rig = cls(hw, data_dir)
        if sscard_slot is not None:
            rig.sscard_slot = sscard_slot
        rig.wait_ready()
        return rig

    def stop(self) -> None:
        self.hw.stop()

    def wait_ready(self, timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.reader.status().state.value == "online" and self.printer.status().state.value == "online":
                return
            time.sleep(0.05)
        raise RuntimeError("devices did not come online")

    def face(self) -> bytes | None:
        """The live face photo; a camera fault costs the photo (the platform then checks the card only)."""
        done = self.camera.capture_face(timeout=4, settle=0.0, enough=1).result()
        if done.ok:
            return done.value.crop_jpeg
        return None

    # -- the journey ---------------------------------------------------------------------------------------------
    def journey(self, resident: Resident, seq: int, *, face: bool = True, verify_attempts: int = 3,
                card: str = "idcard", card_id: str = "", card_faults: tuple[str, ...] = ()) -> Outcome:  # fmt: skip
        """``card="sscard"``: the resident identifies with deck card ``card_id`` (``sscard_holders()``), inserted
        with the simulator's ``card_faults``; everything after the read is the same journey."""
        if card == "sscard":
            return self._sscard_journey(resident, card_id, card_faults, seq, face, verify_attempts)
        sim = self.hw.sims.idcard
        sim.place(resident.card())
        try:
            return self._journey(resident, seq, face, verify_attempts)
        finally:
            sim.remove()

    def _journey(self, resident: Resident, seq: int, face: bool, verify_attempts: int) -> Outcome:
        done = self.reader.read_card(timeout=5).result()
        if not done.ok:
            log.info("journey %d: card not read (%s)", seq, done.code)
            return Outcome(seq, "card_unreadable", "未能读取证件，请取回证件后重新放置")
        session = self.services.new_session()
        try:
            return self._apply(session, done.value, self.face() if face else None, resident, seq, verify_attempts)
        finally:
            session.end()

    def _sscard_journey(self, resident: Resident, card_id: str, faults: tuple[str, ...], seq: int, face: bool,
                        verify_attempts: int) -> Outcome:  # fmt: skip
        slot = self.sscard_slot
        if slot is None:
            raise RuntimeError("no social-security card slot: start the rig with sscard=True or sscard_slot=…")
        slot.insert(card_id, faults)
        try:
            done = self.sscard.read(timeout=8).result()
            if not done.ok:
                log.info("journey %d: social-security card not read (%s)", seq, done.code)
                return Outcome(seq, "card_unreadable", "未能读取社保卡，请取出社保卡后重新插入")
            session = self.services.new_session()
            try:
                return self._apply(session, done.value, self.face() if face else None, resident, seq,
                                   verify_attempts)  # fmt: skip
            finally:
                session.end()
        finally:
            slot.remove()
            self._wait_card_gone()

    def _wait_card_gone(self, timeout: float = 3.0) -> None:
        """The reader keeps the card's identity until it sees the card leave (its next poll): wait for that, as
        the screen does before going home, so the resident's data does not outlive the journey."""
        end = time.monotonic() + timeout
        while self.sscard.status().fields.get("card_present") and time.monotonic() < end:
            time.sleep(0.02)

    def _apply(self, session: ResidentSession, identity: Identity, photo: bytes | None, resident: Resident,
               seq: int, verify_attempts: int) -> Outcome:  # fmt: skip
        for attempt in range(min(verify_attempts, MAX_VERIFY_ATTEMPTS)):
            verification = session.verify_card(identity, face_jpeg=photo)
            if verification.verified or not verification.retryable:
                break
            time.sleep(0.2 * (attempt + 1))  # the resident presses 重试
        if not verification.verified:
            kind = "platform_unavailable" if verification.retryable else "refused"
            log.info("journey %d: verification refused (%s)", seq, verification.reason)
            return Outcome(seq, kind, verification.message)
        app = session.start_application(item_code=ITEM)
        self._fill(app, resident, photo)
        sub = session.submit(app)  # durable in the outbox from here: the resident is told "submitted"
        log.info("journey %d: application %s queued for %s", seq, sub.reference, mask_id_number(identity.id_number))
        printed = self.services.print_receipt(sub, timeout=15)
        if not printed.printed:
            log.info("receipt for %s not printed: %s", sub.reference, printed.code)
        self.services.evaluate(5, reference=sub.reference)
        lookup = self.services.lookup_reference(sub.reference)
        progress = lookup.progress.status if lookup.progress is not None else lookup.state
        after = "请取走回执。" if printed.printed else "回执未能打印，请拍下屏幕上的回执。"
        return Outcome(seq, "accepted", f"已提交，受理编号 {sub.number}。{after}", sub.reference, printed.printed,
                       progress)  # fmt: skip

    @staticmethod
    def _fill(app: Application, resident: Resident, photo: bytes | None) -> None:
        """The form, then each material the certificates did not cover: a signed commitment where allowed,
        容缺 where allowed, otherwise a photographed page."""
        errors = app.set_form({"phone": resident.phone, "address": resident.address,
                               "hardship_type": app.field("hardship_type").options[0],
                               "hardship_detail": "家中突发火灾，房屋和家具烧毁", "family_size": "3",
                               "bank_name": "中国银行", "bank_account": "6217000010001234567"})  # fmt: skip
        if errors:
            raise RuntimeError(f"form refused: {sorted(errors)}")
        for slot in app.materials:
            if slot.status is not SlotStatus.MISSING:
                continue
            if slot.can_commit:
                app.commit(slot.code, _SIGNATURE_PNG)
            elif slot.can_defer:
                app.defer(slot.code)
            else:
                app.provide_file(slot.code, photo or _TINY_JPEG, "image/jpeg")


# the smallest valid JPEG marker run: a page when the camera gave no photo
_TINY_JPEG = b"\xff\xd8\xff\xe0" + bytes(60) + b"\xff\xd9"
_SIGNATURE_PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
