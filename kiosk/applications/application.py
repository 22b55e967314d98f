"""One application for one item or one 一件事 bundle: materials, form, route, readiness, the contract body.

An :class:`Application` is made by :meth:`kiosk.applications.ResidentSession.start_application`; the UI fills
it (files, commitments, deferrals, form values), asks :meth:`Application.check` what is still missing and
submits through the session. Materials the verified person's electronic certificates satisfy are marked
provided at the start (一证通办): the resident is never asked for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from drivers.identity import Identity, id_number_valid
from kiosk.applications.materials import (
    AGENT_ID,
    AGENT_MATERIALS,
    MaterialSlot,
    MaterialStatus,
    agent_materials,
    identity_document,
    verified_document,
)
from kiosk.applications.routing import Route
from kiosk.catalog import Bundle, FormField, Item, validate_field
from kiosk.i18n import N_, Lines, Text
from kiosk.platform.answers import Certificate


class NotReady(Exception):
    """Submitting an application that is not complete; ``readiness`` says what is missing."""

    def __init__(self, readiness: Readiness) -> None:
        super().__init__(str(readiness.message))
        self.readiness = readiness


class AgentRefused(ValueError):
    """代办 refused (the principal is the agent, an invalid ID number); ``str()`` is the message id for the screen."""


@dataclass(frozen=True)
class Readiness:
    ok: bool
    missing: tuple[MaterialSlot, ...]  # required materials nobody provided
    field_errors: dict[str, Text]  # form key → message for the resident
    route: Route
    message: Lines  # what stops the application, a message per line (none when ok)

    @property
    def missing_names(self) -> list[str]:
        return [slot.name for slot in self.missing]


@dataclass(repr=False)
class Application:
    items: tuple[Item, ...]
    bundle: Bundle | None
    applicant: Identity  # the person the application is for (the principal when an agent applies)
    agent: Identity | None  # the verified person at the kiosk applying for someone else, or None
    verification_id: str
    route: Route
    materials: list[MaterialSlot]
    form_fields: tuple[FormField, ...]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Text] = field(default_factory=dict)
    identity_documents: tuple[str, ...] = ()  # documents the items accept as the applicant's identity
    shared: tuple[str, ...] = ()  # documents an earlier item of the bundle issues: not asked of the resident

    def __repr__(self) -> str:
        return f"Application({self.title!r}, route={self.route.kind}, agent={self.agent is not None})"

    # -- what it is ------------------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.bundle.name if self.bundle else self.items[0].name

    @property
    def item_codes(self) -> list[str]:
        return [i.code for i in self.items]

    @property
    def promised_days(self) -> int:
        """The bundle is done when its slowest item is."""
        return max(i.promised_days for i in self.items)

    def material(self, code: str) -> MaterialSlot:
        for slot in self.materials:
            if slot.code == code:
                return slot
        raise KeyError(code)

    # -- filling it in ---------------------------------------------------------------------------------------

    def provide_file(self, code: str, data: bytes, content_type: str) -> None:
        self.material(code).provide_file(data, content_type)

    def commit(self, code: str, signature: bytes, content_type: str = "image/png") -> None:
        self.material(code).commit(signature, content_type)

    def defer(self, code: str) -> None:
        self.material(code).defer()

    def clear(self, code: str) -> None:
        self.material(code).clear()

    def field(self, key: str) -> FormField:
        for f in self.form_fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def set_field(self, key: str, value: Any, *, today: dt.date | None = None) -> Text | None:
        """Store one form value; returns the resident-facing message when it is not valid (None when fine)."""
        form_field = self.field(key)
        self.values[key] = value
        message = validate_field(form_field, value, today=today)
        if message:
            self.errors[key] = message
        else:
            self.errors.pop(key, None)
        return message

    def set_form(self, values: Mapping[str, Any], *, today: dt.date | None = None) -> dict[str, Text]:
        """Several values at once; returns the messages per field key (unknown keys are refused)."""
        unknown = sorted(set(values) - {f.key for f in self.form_fields})
        if unknown:
            raise KeyError(f"no such form field: {', '.join(unknown)}")
        return {k: m for k, v in values.items() if (m := self.set_field(k, v, today=today))}

    # -- is it complete --------------------------------------------------------------------------------------

    def check(self, *, today: dt.date | None = None) -> Readiness:
        field_errors = {}
        for form_field in self.form_fields:
            message = validate_field(form_field, self.values.get(form_field.key), today=today)
            if message:
                field_errors[form_field.key] = message
        self.errors = dict(field_errors)
        missing = tuple(slot for slot in self.materials if slot.blocking)
        parts: list[Text] = []
        if not self.route.accepted:
            parts += self.route.explanation.lines
        if missing:
            parts.append(Text.of(N_("Materials still missing: {materials}."), materials=tuple(s.name for s in missing)))
            if any(slot.material.identity for slot in missing) and self.identity_documents:
                parts.append(Text.of(N_("Identity documents this service takes: {documents}."),
                                     documents=tuple(self.identity_documents)))  # fmt: skip
        for key, error in field_errors.items():
            parts.append(Text.of(N_("Please check {field}: {problem}"), field=self.field(key).label,
                                 problem=error))  # fmt: skip
        return Readiness(not parts, missing, field_errors, self.route, Lines(tuple(parts)))

    # -- the contract body -----------------------------------------------------------------------------------

    def request(self, submitted_at: dt.datetime) -> tuple[list[tuple[bytes, str]], dict[str, Any]]:
        """(files, application body) for :meth:`Outbox.enqueue_application`: files referenced by index."""
        files: list[tuple[bytes, str]] = []
        materials = []
        for slot in self.materials:
            entry: dict[str, Any] = {"code": slot.code, "provided_as": slot.status.value}
            if slot.status is MaterialStatus.MISSING:
                continue
            if slot.status in (MaterialStatus.FILE, MaterialStatus.COMMITMENT):
                assert slot.data is not None and slot.content_type is not None
                files.append((slot.data, slot.content_type))
                key = "file_index" if slot.status is MaterialStatus.FILE else "signature_file_index"
                entry[key] = len(files) - 1
            elif slot.status is MaterialStatus.CERTIFICATE:
                entry["certificate_number"] = slot.certificate_number
            materials.append(entry)
        phone = _digits(self.values.get("phone"))
        body = {
            "submitted_at": submitted_at.isoformat(timespec="seconds"),
            "verification_id": self.verification_id,
            "items": self.item_codes,
            "bundle": self.bundle.code if self.bundle else None,
            "applicant": _person(self.applicant, phone, self.route.region_code),
            "agent": _person(self.agent, None, self.route.region_code) if self.agent else None,
            "materials": materials,
            "form": {k: _json_value(v) for k, v in self.values.items() if v is not None and v != ""},
            "handling_region_code": self.route.region_code,
        }
        return files, body


def _digits(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits or None


def _person(identity: Identity, phone: str | None, fallback_region: str) -> dict[str, Any]:
    return {
        "id_type": identity.id_type,
        "id_number": identity.id_number,
        "name": identity.name or identity.name_en or "",
        "phone": phone,
        # permits and foreigners' numbers carry no registration region: they are residents where they apply
        "region_code": identity.registration_region or fallback_region,
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def build_application(
    *,
    items: Sequence[Item],
    bundle: Bundle | None,
    resident: Identity,
    verification_id: str,
    certificates: Sequence[Certificate],
    route: Route,
    principal: Identity | None = None,
    today: dt.date,
) -> Application:
    """Materials (merged for a bundle), agent materials, 一证通办 and the combined form."""
    if principal is not None:
        if principal.id_number.upper() == resident.id_number.upper():
            raise AgentRefused(N_("The person you apply for cannot be yourself."))
        if principal.id_type == "resident" and not id_number_valid(principal.id_number.upper()):
            raise AgentRefused(N_("The ID number of the person you apply for is not right. Please check it."))
        if not all(item.agent_allowed for item in items):
            raise AgentRefused(
                N_("This service must be done by the applicant in person. It cannot be done for someone else.")
            )
    shared: tuple[str, ...] = ()
    if bundle is not None:
        everything = bundle.merged_materials().materials
        merged = [(m.material, m.item_codes) for m in everything if m.produced_by is None]
        shared = tuple(m.material.name for m in everything if m.produced_by is not None)
        form_fields = bundle.merged_form()
        accepted = bundle.identity_documents
    else:
        item = items[0]
        merged = [(m, (item.code,)) for m in item.materials]
        form_fields = item.form
        accepted = item.identity_documents
    codes = tuple(i.code for i in items)
    slots = []
    for material, item_codes in merged:
        if material.code in AGENT_MATERIALS:
            if principal is None:
                continue  # "代办时提供": not asked when the resident applies for themselves
            material = material.model_copy(
                update={"required": True, "key": True, "deferrable": False, "commitment_allowed": False}
            )
        slots.append(MaterialSlot(material, item_codes))
    if principal is not None:
        slots += [MaterialSlot(m, codes) for m in agent_materials({s.code for s in slots})]
        slots = [s if s.code != AGENT_ID or s.material.ecert else _with_ecert(s) for s in slots]
    usable = {c.code: c for c in certificates if c.valid_to is None or c.valid_to >= today}
    for slot in slots:
        # certificates belong to the verified person: for an agent application only the agent's own ID
        if principal is not None and slot.code != AGENT_ID:
            continue
        cert = usable.get(slot.material.ecert or "")
        if cert is not None:
            slot.use_certificate(cert, resident.id_number)
        elif slot.material.identity and principal is None and identity_document(resident) in accepted:
            # the document the resident was just verified with proves who they are
            slot.use_certificate(verified_document(resident), resident.id_number)
    return Application(
        items=tuple(items),
        bundle=bundle,
        applicant=principal or resident,
        agent=resident if principal is not None else None,
        verification_id=verification_id,
        route=route,
        materials=slots,
        form_fields=tuple(form_fields),
        identity_documents=tuple(d.value for d in accepted),
        shared=shared,
    )


def _with_ecert(slot: MaterialSlot) -> MaterialSlot:
    return MaterialSlot(slot.material.model_copy(update={"ecert": "id_card"}), slot.item_codes)
