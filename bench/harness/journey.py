"""A resident's whole journey through kiosk/ with every device on its simulator, no UI: for soak, chaos and tests.

Until the applications layer (kiosk.applications) is on main, the journey is composed here from what main has:
ID card on the reader simulator → the real IdCardReader → face photo from the camera (simulated video) →
platform real-name check → certificates (一证通办) → application into the durable outbox → receipt on the
ESC/POS emulator (masked) → evaluation (好差评) through the outbox → progress lookup → card removed, session wiped.

``KioskRig.start(data_dir, platform_url=…)`` brings up ``kiosk.hardware.Hardware`` on the simulators (the
platform simulator in-process, or an outside one given by URL and token so it survives a killed kiosk).
``rig.journey(resident, seq)`` returns an ``Outcome``: what the resident was told, never personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.printer import QR, KeyValue, Receipt, Section, Text
from drivers.sim.idcard.cards import SimCard, load_deck
from kiosk import logs
from kiosk.config.loader import Layer, defaults_layer, load
from kiosk.hardware import Hardware
from kiosk.platform import CredentialError, PermanentError, RetryableError
from kiosk.privacy import mask_id_number, mask_name, mask_phone, pseudonym
from kiosk.privacy_scan import PersonalData

log = logging.getLogger("tongban.journey")
ROOT = Path(__file__).resolve().parents[2]
RESIDENTS_FILE = ROOT / "drivers" / "sim" / "platform" / "residents.json"
SSCARD_DECK = ROOT / "drivers" / "sim" / "sscard" / "deck.json"
ITEM = "11330199MB0000001X-001"
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


REFUSALS = {
    "face_mismatch": "人脸比对未通过，请正对摄像头重试或到窗口办理",
    "card_invalid": "证件已失效，请到窗口办理",
    "no_record": "未查到您的身份信息，请到窗口办理",
    "name_mismatch": "证件信息与登记不符，请到窗口办理",
}


def settings_for(data_dir: Path, platform_url: str | None, token_file: Path | None, sscard: bool = False):
    site: dict[str, Any] = {
        "kiosk": {"id": "K0001", "data_dir": str(data_dir)},
        "devices": {"idcard": {"baud": 921600}, "printer": {"paper_width_mm": 80},
                    "sscard": {"reader": "sim" if sscard else "none", "required": False}},
    }  # fmt: skip
    if platform_url:
        site["platform"] = {"url": platform_url, "credentials_file": str(token_file)}
    loaded = load([defaults_layer(), Layer("site", "proof harness", site)])
    if not loaded.outcomes[-1].applied:
        raise RuntimeError(f"harness settings refused: {loaded.errors}")
    return loaded.settings


class KioskRig:
    """The kiosk side: Hardware on the simulators, logs, and the steps of a journey."""

    def __init__(self, hw: Hardware, data_dir: Path) -> None:
        self.hw = hw
        self.data_dir = data_dir
        self.reader = hw.devices["idcard"]
        self.printer = hw.devices["printer"]
        self.camera = hw.devices["camera"]
        self.client = hw.client
        self.outbox = hw.outbox
        self.audit = hw.audit
        self.face_jpeg: bytes | None = None

    @classmethod
    def start(cls, data_dir: Path, platform_url: str | None = None, token_file: Path | None = None,
              *, sscard: bool = False, render_receipts: bool = False) -> KioskRig:  # fmt: skip
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        logs.setup(data_dir / "logs")
        hw = Hardware.start(settings_for(data_dir, platform_url, token_file, sscard), data_dir)
        if hw.sims.printer is not None:
            hw.sims.printer.render_png = render_receipts  # receipts are parsed either way; PNGs only when asked
        rig = cls(hw, data_dir)
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
    def journey(self, resident: Resident, seq: int, *, face: bool = True, verify_attempts: int = 3) -> Outcome:
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
        identity = done.value
        photo = self.face() if face else None
        verification = None
        for attempt in range(verify_attempts):
            try:
                verification = self.client.verify_identity(method="idcard", id_type="resident", name=identity.name,
                                                           id_number=identity.id_number, face_jpeg=photo)  # fmt: skip
                break
            except RetryableError:
                time.sleep(0.2 * (attempt + 1))
            except (PermanentError, CredentialError):
                break
        if verification is None:
            return Outcome(seq, "platform_unavailable", "网络暂时不可用，您的申请尚未提交，请稍后再试或到窗口办理")
        if not verification.verified:
            reason = verification.reason or "refused"
            log.info("journey %d: verification refused (%s) for %s", seq, reason, mask_name(identity.name))
            return Outcome(seq, "refused", "身份核验未通过：" + REFUSALS.get(reason, "请到窗口办理"))
        try:
            certificates = self.client.certificates(verification.token)
        except (RetryableError, PermanentError, CredentialError):
            certificates = []  # 一证通办 unavailable: the materials are simply captured instead
        reference = self.outbox.enqueue_application(
            [(photo or _TINY_JPEG, "image/jpeg")], self._application(verification, identity, resident, certificates)
        )
        self.audit.record("application.queued", "kiosk", reference=reference, who=pseudonym(identity.id_number),
                          item=ITEM)  # fmt: skip
        log.info("journey %d: application %s queued for %s", seq, reference, mask_id_number(identity.id_number))
        printed = self.print_receipt(reference, identity.name, identity.id_number, resident.phone)
        self.outbox.enqueue_evaluation(5, local_reference=reference)
        progress = self.lookup(reference)
        after = "请取走回执。" if printed else "回执未能打印，请拍下屏幕上的回执。"
        message = f"已提交，受理编号 {reference}。{after}"
        return Outcome(seq, "accepted", message, reference, printed, progress)

    def _application(self, verification, identity, resident: Resident, certificates) -> dict[str, Any]:
        household = next((c for c in certificates if c.code == "household_register" and c.number), None)
        materials: list[dict[str, Any]] = [{"code": "photo", "provided_as": "file", "file_index": 0}]
        if household is not None:
            materials.append({"code": "household_register", "provided_as": "certificate",
                              "certificate_number": household.number})  # fmt: skip
        return {
            "verification_id": verification.verification_id,
            "items": [ITEM],
            "bundle": None,
            "applicant": {"id_type": "resident", "id_number": identity.id_number, "name": identity.name,
                          "phone": resident.phone, "region_code": identity.id_number[:6]},
            "agent": None,
            "materials": materials,
            "form": {"reason": "自助终端申请", "address": identity.address or ""},
            "handling_region_code": "330199",
        }

    def print_receipt(self, reference: str, name: str, id_number: str, phone: str) -> bool:
        rows = [KeyValue("受理编号", reference), KeyValue("申请人", mask_name(name)),
                KeyValue("证件号码", mask_id_number(id_number)), KeyValue("联系电话", mask_phone(phone)),
                KeyValue("提交时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
                Text("扫码查询办理进度"), QR(f"tongban://progress?ref={reference}")]  # fmt: skip
        receipt = Receipt("受理回执", [Section("办理信息", rows)], footer=["谢谢使用"])
        done = self.printer.print_receipt(receipt, timeout=15).result()
        if not done.ok:
            log.info("receipt for %s not printed: %s", reference, done.code)
        return done.ok

    def lookup(self, reference: str) -> str:
        try:
            progress = self.client.progress_by_reference(reference)
        except (RetryableError, PermanentError, CredentialError):
            return "unavailable"
        return progress.status if progress is not None else "queued"


# the smallest valid JPEG marker run: a material when the camera gave no photo
_TINY_JPEG = b"\xff\xd8\xff\xe0" + bytes(60) + b"\xff\xd9"
