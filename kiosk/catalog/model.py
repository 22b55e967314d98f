"""The service catalog's data model: departments, items (事项) with their full guide, and 一件事 bundles.

Field names follow the national exchange fields (see ``kiosk.catalog.exchange`` for the mapping). Every model
forbids unknown fields, so a typo in a catalog file is an error rather than a silently missing guide element.
Form-field validation lives here too (``validate_field``) so the field types and their rules stay in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_serializer, field_validator, model_validator

from drivers.identity import id_number_valid
from kiosk.i18n import N_, Text

_SLUG = r"^[a-z][a-z0-9_]*$"
_CODE = r"^[0-9A-Za-z-]{4,40}$"
_PHONE = re.compile(r"^(0\d{2,3}-?\d{7,8}(-\d{1,5})?|1[3-9]\d{9}|12345|9\d{4})$")
_MOBILE_OR_LANDLINE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ItemType(StrEnum):
    IMMEDIATE = "即办件"  # decided on the spot
    PROMISED = "承诺件"  # decided within the promised time limit


class MaterialForm(StrEnum):
    ORIGINAL = "原件"
    COPY = "复印件"
    ORIGINAL_AND_COPY = "原件和复印件"
    ELECTRONIC = "电子材料"


class MaterialSource(StrEnum):
    """材料来源 of the national guide standard."""

    OWN = "申请人自备"
    ISSUED = "政府部门核发"
    ECERT = "电子证照"


class RouteRule(StrEnum):
    """Whose place decides where an item is handled (DOMAIN.md §4)."""

    HOUSEHOLD = "户籍地"  # the household-registration region (社区通办 list)
    RESIDENCE = "经常居住地"  # where the resident lives: this county, whatever the registration (居住证)
    INSURED = "参保地"  # where the resident is insured (the social-security card's region when read)
    ACCEPTING = "受理地"  # the office that accepts it: this county
    COUNTY_WIDE = "全县通办"  # any office of the county


RULE_WORDS = ("户籍地", "经常居住地", "居住地", "参保地", "受理地", "常住地", "任一")


class IdDocument(StrEnum):
    """Identity documents (and their electronic forms) that can prove who the applicant is."""

    ID_CARD = "居民身份证"
    EID = "电子身份证"
    SOCIAL_SECURITY = "社会保障卡"
    HMT_PERMIT = "港澳台居民居住证"
    FOREIGN_PERMANENT = "外国人永久居留身份证"


DEFAULT_ID_DOCUMENTS = (IdDocument.ID_CARD, IdDocument.EID, IdDocument.SOCIAL_SECURITY)


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    PHONE = "phone"
    DATE = "date"
    CHOICE = "choice"
    NUMBER = "number"
    BANK_ACCOUNT = "bank_account"
    ID_NUMBER = "id_number"
    BOOLEAN = "boolean"


class Department(_Strict):
    code: str = Field(pattern=_CODE, description="统一社会信用代码 of the handling department")
    name: str = Field(min_length=2, description="full name, e.g. 示例县人力资源和社会保障局")
    short_name: str = Field(min_length=2, description="everyday name shown on buttons, e.g. 人社局")
    phone: str
    complaint_phone: str = Field(description="监督投诉电话 of the department")
    address: str = Field(min_length=2)
    hours: str = Field(min_length=2)

    @field_validator("phone", "complaint_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not _PHONE.match(value):
            raise ValueError(f"not a telephone number: {value!r}")
        return value


class Material(_Strict):
    code: str = Field(pattern=_SLUG, description="stable key; the same code in two items is the same material")
    name: str = Field(min_length=1)
    required: bool = True
    form: MaterialForm = MaterialForm.ORIGINAL
    count: int = Field(default=1, ge=1, le=20, description="份数")
    blank_form: str | None = Field(default=None, description="reference to the blank form to fill in")
    sample: str | None = Field(default=None, description="reference to a filled-in sample")
    ecert: str | None = Field(default=None, pattern=_SLUG, description="电子证照 code that can stand in for it")
    commitment_allowed: bool = Field(default=False, description="告知承诺制: a signed commitment may replace it")
    deferrable: bool = Field(default=False, description="容缺受理: may be supplied after acceptance")
    key: bool = Field(default=False, description="key material: never deferrable")
    source: MaterialSource = MaterialSource.OWN
    document: str | None = Field(
        default=None, pattern=_SLUG, description="what the document is (defaults to ecert, else code)"
    )
    whose: str = Field(default="申请人", min_length=1, max_length=12, description="whose document it is")
    identity: bool = Field(default=False, description="the applicant's identity document")
    note: str | None = None

    @model_validator(mode="after")
    def _key_not_deferrable(self) -> Material:
        if self.key and self.deferrable:
            raise ValueError("a key material cannot be deferrable (容缺受理 excludes key materials)")
        if self.identity and self.whose != "申请人":
            raise ValueError("the identity material is the applicant's (whose: 申请人)")
        return self

    @property
    def document_type(self) -> str:
        return self.document or self.ecert or self.code

    @property
    def merge_key(self) -> tuple[str, str]:
        """Two materials with the same key are the same document: what it is and whose it is."""
        return self.document_type, self.whose


class FieldValidation(_Strict):
    pattern: str | None = None
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    min: float | None = None
    max: float | None = None
    not_future: bool = False
    not_past: bool = False

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from exc
        return value


class FormField(_Strict):
    key: str = Field(pattern=_SLUG)
    label: str = Field(min_length=1)
    type: FieldType = FieldType.TEXT
    required: bool = True
    options: tuple[str, ...] = ()
    hint: str | None = None
    validation: FieldValidation = FieldValidation()

    @model_validator(mode="after")
    def _options_for_choice(self) -> FormField:
        if self.type is FieldType.CHOICE and len(self.options) < 2:
            raise ValueError("a choice field needs at least two options")
        if self.type is not FieldType.CHOICE and self.options:
            raise ValueError("options are only for choice fields")
        if len(set(self.options)) != len(self.options):
            raise ValueError("duplicate option")
        return self


class CommunityService(_Strict):
    """社区通办: accepted at this centre for residents whose household is registered elsewhere."""

    regions: Literal["all"] | tuple[str, ...] = Field(description='"all" or administrative-code prefixes, e.g. "33"')
    handling_office: str = Field(
        min_length=2, description="the kind of office that handles it there, e.g. 乡镇（街道）便民服务中心"
    )

    @field_validator("handling_office")
    @classmethod
    def _no_rule_words(cls, value: str) -> str:
        # the routing text puts the place before the office: "户籍地户籍地…" came from rule words in here
        for word in RULE_WORDS:
            if word in value:
                raise ValueError(f"name the kind of office only; the place comes from the routing rule ({word!r})")
        return value

    @field_validator("regions")
    @classmethod
    def _prefixes(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        if value == "all":
            return value
        if not value:
            raise ValueError('give region prefixes or "all"')
        for prefix in value:
            if not (prefix.isdigit() and len(prefix) in (2, 4, 6)):
                raise ValueError(f"region prefix must be 2, 4 or 6 digits: {prefix!r}")
        return value

    def accepts(self, region_code: str) -> bool:
        """True when a resident registered in ``region_code`` (6 digits) may apply here."""
        return self.regions == "all" or any(region_code.startswith(p) for p in self.regions)


class Item(_Strict):
    code: str = Field(pattern=_CODE, description="实施编码 (implementation code): the key used everywhere")
    basic_code: str = Field(pattern=_CODE, description="基本编码 (basic code) of the national item list")
    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()
    department_code: str = Field(pattern=_CODE)
    department: str = Field(min_length=2, description="handling department's full name")
    item_type: ItemType
    audience: tuple[Literal["自然人", "法人"], ...] = ("自然人",)
    legal_basis: tuple[str, ...] = Field(min_length=1)
    conditions: tuple[str, ...] = Field(min_length=1)
    process: tuple[str, ...] = Field(min_length=1)
    statutory_days: int = Field(ge=0, description="法定办结时限, working days")
    promised_days: int = Field(ge=0, description="承诺办结时限, working days")
    fee: str = "不收费"
    fee_basis: str | None = None
    consult_phone: str
    complaint: str = Field(min_length=2)
    place: str = Field(min_length=2)
    hours: str = Field(min_length=2)
    visits: int = Field(ge=0, le=5, description="到现场次数; 0 = 零跑动")
    online: bool = False
    at_terminal: bool = False
    agent_allowed: bool = Field(
        default=True, description="帮办代办: another person may apply with an authorisation letter (false: 须本人办理)"
    )
    result: str = Field(min_length=1)
    routing: RouteRule = Field(default=RouteRule.ACCEPTING, description="whose place decides the handling office")
    identity_documents: tuple[IdDocument, ...] = Field(
        default=DEFAULT_ID_DOCUMENTS, min_length=1, description="documents that satisfy the identity material"
    )
    outputs: tuple[str, ...] = Field(default=(), description="document types the item issues (for bundles)")
    materials: tuple[Material, ...] = ()
    form: tuple[FormField, ...] = ()
    community: CommunityService | None = None

    @field_validator("consult_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not _PHONE.match(value):
            raise ValueError(f"not a telephone number: {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if self.promised_days > self.statutory_days:
            raise ValueError(
                f"promised_days ({self.promised_days}) exceeds statutory_days ({self.statutory_days})"
            )
        if self.item_type is ItemType.IMMEDIATE and self.promised_days != 0:
            raise ValueError("an 即办件 has promised_days 0")
        if self.fee != "不收费" and not self.fee_basis:
            raise ValueError("a charged item needs fee_basis")
        for what, keys in (("material", [m.code for m in self.materials]), ("form field", [f.key for f in self.form])):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"duplicate {what} code: {', '.join(dupes)}")
        if self.name in self.aliases:
            raise ValueError("an alias repeats the name")
        if self.community is not None and self.routing not in (RouteRule.HOUSEHOLD, RouteRule.INSURED):
            raise ValueError(f"community (社区通办) is for 户籍地 or 参保地 items, not {self.routing}")
        merge_keys = [m.merge_key for m in self.materials]
        dupes = sorted({"/".join(k) for k in merge_keys if merge_keys.count(k) > 1})
        if dupes:
            raise ValueError(f"the same document asked twice: {', '.join(dupes)}")
        if sum(m.identity for m in self.materials) > 1:
            raise ValueError("more than one identity material")
        for index, output in enumerate(self.outputs):
            if not re.match(_SLUG, output):
                raise ValueError(f"outputs[{index}]: not a document type slug: {output!r}")
        return self

    @property
    def identity_material(self) -> Material | None:
        return next((m for m in self.materials if m.identity), None)

    @property
    def deferrable_materials(self) -> tuple[Material, ...]:
        return tuple(m for m in self.materials if m.deferrable)


@dataclass(frozen=True)
class MergedMaterial:
    """One material of a bundle, asked for once although several of its items need it."""

    material: Material
    item_codes: tuple[str, ...]
    produced_by: str | None = None  # an earlier item of the bundle issues it: never asked of the resident


@dataclass(frozen=True)
class MergedMaterials:
    materials: tuple[MergedMaterial, ...]
    item_by_item: int  # how many materials the items would ask for one by one

    @property
    def saved(self) -> int:
        """How many fewer materials the resident supplies than item by item."""
        return self.item_by_item - len(self.materials)


class Bundle(_Strict):
    """一件事: the items of one life event, applied for with one form and one set of materials."""

    code: str = Field(pattern=_SLUG)
    name: str = Field(min_length=2)
    life_event: str = Field(min_length=1)
    description: str = Field(min_length=1)
    items: tuple[str, ...] = Field(min_length=2, description="implementation codes, in the order they are shown")
    counter: str | None = Field(
        default=None, min_length=4, description="where the whole bundle is done when an item is not at the terminal"
    )
    same_person: tuple[tuple[str, str], ...] = Field(
        default=(), description="roles that are one person in this life event, e.g. 监护人 → 父母双方"
    )
    _resolved: tuple[Item, ...] = PrivateAttr(default=())

    @field_validator("items")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        dupes = sorted({c for c in value if value.count(c) > 1})
        if dupes:
            raise ValueError(f"item listed twice: {', '.join(dupes)}")
        return value

    @field_validator("same_person", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        if isinstance(value, dict):
            return tuple((str(k), str(v)) for k, v in value.items())
        return value

    @field_serializer("same_person")
    def _as_mapping(self, value: tuple[tuple[str, str], ...]) -> dict[str, str]:
        return dict(value)

    @model_validator(mode="after")
    def _roles(self) -> Bundle:
        roles = dict(self.same_person)
        for role, person in self.same_person:
            if role == person or person in roles:
                raise ValueError(f"same_person: {role} → {person} must name a role that is not mapped itself")
        return self

    def bind(self, items: Sequence[Item]) -> None:
        """Attach the resolved items (done by the catalog at load)."""
        self._resolved = tuple(items)

    @property
    def resolved_items(self) -> tuple[Item, ...]:
        if not self._resolved:
            raise RuntimeError(f"bundle {self.code} is not bound to a catalog")
        return self._resolved

    @property
    def at_terminal(self) -> bool:
        return all(item.at_terminal for item in self.resolved_items)

    @property
    def agent_allowed(self) -> bool:
        """An agent may apply for the bundle only when every item allows it."""
        return all(item.agent_allowed for item in self.resolved_items)

    @property
    def identity_documents(self) -> tuple[IdDocument, ...]:
        """Documents every item accepts as proof of identity (the bundle asks for one)."""
        accepted = [d for d in IdDocument if all(d in i.identity_documents for i in self.resolved_items)]
        return tuple(accepted)

    def merged_materials(self) -> MergedMaterials:
        """Materials of every item, the same document (what it is and whose: ``Material.merge_key``) asked once.

        The merged entry is required if any item requires it, asks for the largest count, and keeps the
        commitment / deferral options only when every item allows them (the strictest item wins). A document an
        earlier item of the bundle issues (its ``outputs``) is marked ``produced_by`` that item: the platform
        passes it on, so the resident is not asked for it.
        """
        merged: dict[tuple[str, str], list[tuple[str, Material]]] = {}
        roles = dict(self.same_person)
        total = 0
        for item in self.resolved_items:
            for material in item.materials:
                document, whose = material.merge_key
                merged.setdefault((document, roles.get(whose, whose)), []).append((item.code, material))
                total += 1
        out = []
        for key, uses in merged.items():
            first = uses[0][1]
            mats = [m for _, m in uses]
            combined = first.model_copy(
                update={
                    "required": any(m.required for m in mats),
                    "count": max(m.count for m in mats),
                    "key": any(m.key for m in mats),
                    "commitment_allowed": all(m.commitment_allowed for m in mats),
                    "deferrable": all(m.deferrable for m in mats) and not any(m.key for m in mats),
                    "ecert": next((m.ecert for m in mats if m.ecert), None),
                }
            )
            maker = self._maker(key, uses[0][0])
            out.append(MergedMaterial(combined, tuple(dict.fromkeys(code for code, _ in uses)), maker))
        return MergedMaterials(tuple(out), total)

    def _maker(self, key: tuple[str, str], first_user: str) -> str | None:
        """The item issuing this document before the first item that needs it, if any."""
        for item in self.resolved_items:
            if item.code == first_user:
                return None
            if key[0] in item.outputs:
                return item.code
        return None

    def merged_form(self) -> tuple[FormField, ...]:
        """One combined form: fields merged by key (required if any item requires it)."""
        fields: dict[str, FormField] = {}
        for item in self.resolved_items:
            for field in item.form:
                seen = fields.get(field.key)
                if seen is None:
                    fields[field.key] = field
                elif field.required and not seen.required:
                    fields[field.key] = seen.model_copy(update={"required": True})
        return tuple(fields.values())

    def form_conflicts(self) -> list[str]:
        """Keys used by two items with different types or options (the combined form cannot hold both)."""
        seen: dict[str, FormField] = {}
        problems = []
        for item in self.resolved_items:
            for field in item.form:
                first = seen.setdefault(field.key, field)
                if (first.type, first.options) != (field.type, field.options):
                    problems.append(f"form field {field.key!r} differs between items ({first.type} vs {field.type})")
        return problems


class Intent(_Strict):
    """Everyday words a resident types for what they want (办护照, 生孩子, 退休金), and the items or bundles meant.

    Targets are listed best first: the first is what most residents typing the phrase want."""

    phrases: tuple[str, ...] = Field(min_length=1)
    items: tuple[str, ...] = ()
    bundles: tuple[str, ...] = ()

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for phrase in value:
            if not phrase.strip():
                raise ValueError("an empty phrase")
        if len(set(value)) != len(value):
            raise ValueError("a phrase listed twice")
        return value

    @model_validator(mode="after")
    def _targets(self) -> Intent:
        if not self.items and not self.bundles:
            raise ValueError("an intent needs items or bundles")
        return self


# --- form-field validation -------------------------------------------------------------------------------------

# Messages for residents: message ids (``{n}``: the limit), translated by the screen.
_MESSAGES = {
    "required": N_("Please fill this in"),
    "phone": N_("Please enter an 11-digit mobile number, or a landline number with its area code"),
    "date": N_("Please enter a real date (year-month-day)"),
    "future": N_("The date cannot be after today"),
    "past": N_("The date cannot be before today"),
    "choice": N_("Please choose one of the options"),
    "number": N_("Please enter a number"),
    "min": N_("The number cannot be less than {n}"),
    "max": N_("The number cannot be more than {n}"),
    "bank_account": N_("A bank account number has 12 to 19 digits. Please check it"),
    "id_number": N_("This ID number is not right. Please check it"),
    "min_length": N_("Please enter at least {n} characters"),
    "max_length": N_("Please enter at most {n} characters"),
    "pattern": N_("This is not in the right form"),
    "boolean": N_("Please choose yes or no"),
}


def _problem(kind: str, limit: object = None) -> Text:
    return Text(_MESSAGES[kind]) if limit is None else Text.of(_MESSAGES[kind], n=str(limit))


def validate_field(field: FormField, value: object, *, today: dt.date | None = None) -> Text | None:
    """Check one form value against its field; returns a message for the resident, or None when it is fine.

    ``value`` is what the screen collected: a string (stripped here), or a date / number / bool already typed.
    Bank accounts are checked for 12–19 digits only: not every Chinese bank account number carries a Luhn
    check digit, so refusing on Luhn would turn away valid accounts.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return _problem("required") if field.required else None
    rules = field.validation
    text = value.strip() if isinstance(value, str) else value
    match field.type:
        case FieldType.PHONE:
            if not isinstance(text, str) or not _MOBILE_OR_LANDLINE.match(text):
                return _problem("phone")
        case FieldType.DATE:
            if isinstance(text, dt.datetime):
                text = text.date()
            if isinstance(text, str):
                try:
                    text = dt.date.fromisoformat(text)
                except ValueError:
                    return _problem("date")
            if not isinstance(text, dt.date):
                return _problem("date")
            today = today or dt.date.today()
            if rules.not_future and text > today:
                return _problem("future")
            if rules.not_past and text < today:
                return _problem("past")
            return None
        case FieldType.CHOICE:
            return None if text in field.options else _problem("choice")
        case FieldType.BOOLEAN:
            return None if isinstance(text, bool) or text in ("是", "否") else _problem("boolean")
        case FieldType.NUMBER:
            if isinstance(text, bool):
                return _problem("number")
            try:
                number = Decimal(str(text))
            except InvalidOperation:
                return _problem("number")
            if not number.is_finite():
                return _problem("number")
            if rules.min is not None and number < Decimal(str(rules.min)):
                return _problem("min", _plain(rules.min))
            if rules.max is not None and number > Decimal(str(rules.max)):
                return _problem("max", _plain(rules.max))
            return None
        case FieldType.BANK_ACCOUNT:
            digits = text.replace(" ", "") if isinstance(text, str) else ""
            if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19):
                return _problem("bank_account")
            text = digits
        case FieldType.ID_NUMBER:
            if not isinstance(text, str) or not id_number_valid(text.upper()):
                return _problem("id_number")
    if not isinstance(text, str):
        return _problem("pattern")
    if rules.min_length is not None and len(text) < rules.min_length:
        return _problem("min_length", rules.min_length)
    if rules.max_length is not None and len(text) > rules.max_length:
        return _problem("max_length", rules.max_length)
    if rules.pattern is not None and not re.fullmatch(rules.pattern, text):
        return _problem("pattern")
    return None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
