"""The materials of one application and how each is provided.

Statuses: a captured file (已提供), an electronic certificate the platform holds (电子证照, 一证通办), a signed
commitment instead of the material (告知承诺, its signature image uploaded as a file), deferred to be
supplied after acceptance (待补充, 容缺受理: only non-key materials marked ``deferrable``), or missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from drivers.identity import CardType, Identity, Source
from kiosk.catalog import Material
from kiosk.catalog.model import IdDocument
from kiosk.i18n import N_, translator
from kiosk.platform.answers import Certificate
from kiosk.platform.client import FILE_TYPES, MAX_FILE

# Materials that only matter when an agent applies for someone (帮办代办).
AGENT_ID = "agent_id_card"
AUTHORISATION = "power_of_attorney"
AGENT_MATERIALS = (AGENT_ID, AUTHORISATION)
_DEFAULT_AGENT_MATERIALS = (
    Material(code=AGENT_ID, name="代办人居民身份证", ecert="id_card", key=True),
    Material(code=AUTHORISATION, name="授权委托书", key=True, blank_form="forms/授权委托书.pdf"),
)


class MaterialStatus(StrEnum):
    FILE = "file"
    CERTIFICATE = "certificate"
    COMMITMENT = "commitment"
    DEFERRED = "deferred"
    MISSING = "missing"


class MaterialRefused(ValueError):
    """The resident's choice is not allowed for this material: a gettext ``message_id`` with its ``params``
    (``message(t)`` in the screen's language); ``str()`` is the Chinese text (``kiosk apply`` prints it)."""

    def __init__(self, message_id: str, **params: str) -> None:
        self.message_id, self.params = message_id, params
        super().__init__(self.message(translator("zh_CN")))

    def message(self, t: Callable[[str], str]) -> str:
        return t(self.message_id).format(**self.params)


@dataclass(repr=False)
class MaterialSlot:
    material: Material
    item_codes: tuple[str, ...]
    status: MaterialStatus = MaterialStatus.MISSING
    certificate: Certificate | None = None
    certificate_number: str | None = None
    data: bytes | None = field(default=None)  # the captured file, or the commitment's signature image
    content_type: str | None = None
    at_counter: bool = False  # cannot be supplied at this kiosk now (no camera, no alternative): the counter takes it

    def __repr__(self) -> str:  # no bytes, no certificate numbers
        return f"MaterialSlot({self.material.code!r}, {self.status})"

    @property
    def code(self) -> str:
        return self.material.code

    @property
    def name(self) -> str:
        return self.material.name

    @property
    def blocking(self) -> bool:
        """A required material nobody has provided: the application cannot be submitted."""
        return self.material.required and self.status is MaterialStatus.MISSING

    @property
    def can_commit(self) -> bool:
        return self.material.commitment_allowed

    @property
    def can_defer(self) -> bool:
        return self.material.deferrable and not self.material.key

    def use_certificate(self, cert: Certificate, holder_id_number: str) -> None:
        self._set(MaterialStatus.CERTIFICATE)
        self.certificate = cert
        # a certificate without its own number (the ID card) is identified by its holder's ID number
        self.certificate_number = cert.number or holder_id_number

    def provide_file(self, data: bytes, content_type: str) -> None:
        _check_file(data, content_type)
        self._set(MaterialStatus.FILE)
        self.data, self.content_type = data, content_type

    def commit(self, signature: bytes, content_type: str = "image/png") -> None:
        if not self.can_commit:
            raise MaterialRefused(N_("“{name}” cannot be replaced by a commitment. Please provide it."), name=self.name)
        _check_file(signature, content_type)
        self._set(MaterialStatus.COMMITMENT)
        self.data, self.content_type = signature, content_type

    def defer(self) -> None:
        if not self.can_defer:
            raise MaterialRefused(N_("“{name}” must be provided now; it cannot be supplied later."), name=self.name)
        self._set(MaterialStatus.DEFERRED)

    def clear(self) -> None:
        self._set(MaterialStatus.MISSING)

    @property
    def state(self) -> str:
        """What the resident sees: the status, or ``counter`` for a material only the counter can take now."""
        return "counter" if self.at_counter and self.status is MaterialStatus.MISSING else self.status.value

    def _set(self, status: MaterialStatus) -> None:
        self.status = status
        self.at_counter = False
        self.certificate = self.certificate_number = self.data = self.content_type = None


def _check_file(data: bytes, content_type: str) -> None:
    if content_type not in FILE_TYPES:
        raise MaterialRefused(N_("Please photograph or scan it as a picture (JPEG or PNG) or a PDF file."))
    if not data or len(data) > MAX_FILE:
        raise MaterialRefused(N_("The file is empty or larger than 5 MB. Please take it again."))
    magic = {"image/jpeg": b"\xff\xd8", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}
    if not data.startswith(magic[content_type]):
        raise MaterialRefused(N_("The file's content does not match its type. Please take it again."))


def agent_materials(existing: set[str]) -> list[Material]:
    """The agent's ID and the authorisation, for items whose catalog entry does not list them."""
    return [m for m in _DEFAULT_AGENT_MATERIALS if m.code not in existing]


def identity_document(identity: Identity) -> IdDocument:
    """Which document the verified person proved their identity with (an e-code counts as its document)."""
    if identity.source is Source.EID_QR:
        return IdDocument.EID
    if identity.source in (Source.SOCIAL_SECURITY_CARD, Source.ESSC_QR):
        return IdDocument.SOCIAL_SECURITY
    if identity.card_type is CardType.HMT_PERMIT:
        return IdDocument.HMT_PERMIT
    if identity.card_type in (CardType.FOREIGN_PERMANENT_2017, CardType.FOREIGN_PERMANENT_2023):
        return IdDocument.FOREIGN_PERMANENT
    return IdDocument.ID_CARD


def verified_document(identity: Identity) -> Certificate:
    """The identity document checked by the real-name verification, standing in for the identity material."""
    document = identity_document(identity)
    return Certificate(code="verified_identity", name=document.value, number=None, issuer="实名核验", valid_to=None)
