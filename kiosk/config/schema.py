"""The one schema for every setting. Unknown keys and wrong types are refused (extra="forbid")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kiosk.evaluation_codes import FORMER_CODES, REASONS


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KioskSection(Section):
    id: str = Field("K0001", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
    site_name: str = Field("示例县政务服务24小时自助服务区", min_length=1, max_length=60)
    site_address: str = ""
    language: Literal["zh_CN", "en"] = "zh_CN"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    data_dir: str = ""  # empty: ~/.local/share/tongban (or --data-dir)
    time_zone: str = "Asia/Shanghai"  # every time shown, printed and recorded (kiosk.clock), whatever the PC's zone

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from kiosk.clock import zone_of

        zone_of(value)
        return value


class DisplaySection(Section):
    orientation: Literal["portrait", "landscape"] = "portrait"
    size: tuple[int, int] | None = None  # default: 1080x1920 portrait, 1920x1080 landscape
    fullscreen: bool = True

    @field_validator("size")
    @classmethod
    def _sane_size(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not (320 <= value[0] <= 7680 and 320 <= value[1] <= 7680):
            raise ValueError("each side must be between 320 and 7680 pixels")
        return value

    @property
    def resolved_size(self) -> tuple[int, int]:
        if self.size:
            return self.size
        return (1080, 1920) if self.orientation == "portrait" else (1920, 1080)


class ElderSection(Section):
    default_on: bool = False
    scale: float = Field(1.5, ge=1.5, le=2.5)  # 适老化: text at least 1.5×
    timeout_factor: float = Field(2.0, ge=1.0, le=4.0)


class IdleSection(Section):
    timeout_s: int = Field(90, ge=15, le=1800)
    warning_s: int = Field(20, ge=5, le=120)

    @model_validator(mode="after")
    def _warning_fits(self) -> IdleSection:
        if self.warning_s >= self.timeout_s:
            raise ValueError("warning_s must be shorter than timeout_s")
        return self


class IdCardDevice(Section):
    port: str = "sim"  # "sim" or a serial port such as /dev/ttyUSB0
    baud: int = Field(115200, ge=1200, le=921600)
    required: bool = True


class SocialSecurityCardDevice(Section):
    reader: str = "sim"  # "sim" or a reader-name pattern
    required: bool = False


class PrinterDevice(Section):
    uri: str = "sim"  # "sim", tcp://host:port, serial:///dev/ttyUSB0?baudrate=9600, usb://VID:PID, file:///path
    paper_width_mm: Literal[58, 80] = 80
    required: bool = True


class CameraDevice(Section):
    source: str = "sim"  # "sim", a device index, a path or a URL
    width: int = Field(1280, ge=160, le=3840)
    height: int = Field(720, ge=120, le=2160)
    # horizontal field of view: rectifies a page squared up to the camera until pages have told the focal length
    fov_deg: float = Field(60.0, ge=20, le=120)
    required: bool = False


class DevicesSection(Section):
    idcard: IdCardDevice = IdCardDevice()
    sscard: SocialSecurityCardDevice = SocialSecurityCardDevice()
    printer: PrinterDevice = PrinterDevice()
    camera: CameraDevice = CameraDevice()


class PlatformSection(Section):
    url: str = "sim"  # "sim" starts the bundled simulator on loopback
    credentials_file: str = ""
    ca_bundle: str = ""
    timeout_s: float = Field(10.0, gt=0, le=120)
    # the platform's public progress page: the receipt's QR opens <progress_url>?no=…&ref=… on a phone
    progress_url: str = Field("https://zwfw.example.gov.cn/progress", pattern=r"^https://[^/?#@\s]+(/[^?#@\s]*)?$")

    @field_validator("url")
    @classmethod
    def _https_or_loopback(cls, value: str) -> str:
        if value == "sim" or value.startswith("https://"):
            return value
        loopback = ("http://127.", "http://localhost", "http://[::1]")
        if value.startswith(loopback):
            return value
        raise ValueError("must be https://, or plain http:// only to loopback, or 'sim'")


class Label(Section):
    zh_CN: str = Field(min_length=1)
    en: str = Field(min_length=1)


class HomeTile(Section):
    key: str = Field(pattern=r"^[a-z0-9_]+$")
    label: Label
    kind: Literal["department", "bundle", "at_terminal", "progress"] = "department"
    target: str = ""  # department code or bundle code the tile opens
    color: str = Field("#1E5AA8", pattern=r"^#[0-9A-Fa-f]{6}$")


class HomeSection(Section):
    tiles: tuple[HomeTile, ...] = ()

    @field_validator("tiles")
    @classmethod
    def _unique_keys(cls, tiles: tuple[HomeTile, ...]) -> tuple[HomeTile, ...]:
        seen: set[str] = set()
        for tile in tiles:
            if tile.key in seen:
                raise ValueError(f"duplicate tile key {tile.key!r}")
            seen.add(tile.key)
        return tiles


class StaffMember(Section):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")  # what the audit trail records, never the name
    display_name: str = Field(min_length=1, max_length=30)
    role: Literal["operator", "administrator"]
    pin_hash: str = Field(pattern=r"^\$argon2id\$")  # from `kiosk staff hash-pin`
    card_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")  # from `kiosk staff hash-card`


class StaffSection(Section):
    members: tuple[StaffMember, ...] = ()
    max_failures: int = Field(5, ge=1, le=20)  # wrong PINs in a row before the menu locks
    lockout_s: int = Field(300, ge=30, le=86400)
    menu_idle_timeout_s: int = Field(120, ge=15, le=3600)

    @field_validator("members")
    @classmethod
    def _unique(cls, members: tuple[StaffMember, ...]) -> tuple[StaffMember, ...]:
        ids: set[str] = set()
        cards: set[str] = set()
        for member in members:
            if member.id in ids:
                raise ValueError(f"duplicate staff id {member.id!r}")
            if member.card_hash is not None and member.card_hash in cards:
                raise ValueError(f"staff {member.id!r} has a card already registered to another member")
            ids.add(member.id)
            if member.card_hash is not None:
                cards.add(member.card_hash)
        return members


class FleetSection(Section):
    """Signed configuration bundles from the operators' TUF repository (see docs/fleet.md)."""

    repo_url: str = ""  # base URL holding metadata/ and targets/; empty: fleet updates off
    group: str = Field("all", pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")  # rollout ring, e.g. "pilot"
    poll_interval_s: int = Field(900, ge=30, le=86400)
    jitter: float = Field(0.2, ge=0.0, le=0.9)  # each wait is the interval ± this fraction, so a fleet spreads out
    trusted_root: str = ""  # root.json shipped at install; empty: <config dir>/fleet-root.json
    round_deadline_s: int = Field(600, ge=30, le=86400)  # a whole round (metadata + bundle) at most this long
    min_speed_bps: int = Field(2048, ge=0, le=10_000_000)  # slower than this after 10 s: "download too slow"
    mqtt_broker: str = ""  # host:port of the optional "new version exists" nudge; empty: no nudge
    mqtt_topic: str = "tongban/fleet/{group}"
    console_url: str = ""  # the fleet console heartbeats also go to: http(s)://… or mqtt://HOST:PORT; empty: none
    console_token_file: str = ""  # this kiosk's console token (kiosk fleet console-kiosk), one line, mode 0600

    @field_validator("console_url")
    @classmethod
    def _console_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://", "mqtt://")):
            raise ValueError("must be an http://, https:// or mqtt:// URL, or empty to send no heartbeat to a console")
        return value.rstrip("/")

    @field_validator("repo_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # TUF signs content, so plain http (a CDN, a county web server) is acceptable transport.
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// URL, or empty to turn fleet updates off")
        return value.rstrip("/")


class RoutingSection(Section):
    """社区通办 routing (docs/applications.md): where this kiosk stands, and which office handles an
    application of a resident whose household is registered elsewhere.

    A settings section rather than a file of its own: it is site data like ``[kiosk]``, so it gets the
    same layering (packaged default → site file → signed fleet bundle), validation and last-good fallback.
    """

    region: str = Field("330199", pattern=r"^\d{6}$")  # this kiosk's county-level division code
    region_name: str = Field("示例县", min_length=1, max_length=30)
    local_prefixes: tuple[str, ...] = ()  # registration regions served as local residents; empty: (region,)
    hotline: str = Field("12345", pattern=r"^[0-9-]{3,20}$")  # printed when an item has no consult phone
    # division-code prefix (2, 4 or 6 digits) → handling office, longest wins. A TOML table; kept as sorted
    # pairs so Settings stays hashable like every other section.
    offices: tuple[tuple[str, str], ...] = ()

    @field_validator("local_prefixes")
    @classmethod
    def _local(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for prefix in value:
            if not (prefix.isdigit() and len(prefix) in (2, 4, 6)):
                raise ValueError(f"region prefix must be 2, 4 or 6 digits: {prefix!r}")
        return value

    @field_validator("offices", mode="before")
    @classmethod
    def _table_to_pairs(cls, value: object) -> object:
        if isinstance(value, dict):
            return tuple(sorted((str(k), v) for k, v in value.items()))
        return value

    @field_validator("offices")
    @classmethod
    def _offices(cls, value: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        if len({prefix for prefix, _ in value}) != len(value):
            raise ValueError("an office prefix is listed twice")
        for prefix, office in value:
            if not (prefix.isdigit() and len(prefix) in (2, 4, 6)):
                raise ValueError(f"office key must be a 2, 4 or 6-digit division prefix: {prefix!r}")
            if not office.strip() or len(office) > 60:
                raise ValueError(f"office name for {prefix} must be 1..60 characters")
        return value

    @property
    def local(self) -> tuple[str, ...]:
        return self.local_prefixes or (self.region,)


# -- staff menu: out-of-service mode, heartbeat, reprints (issue 10; appended, other sections unchanged) --


class Alternative(Section):
    """A nearby place a resident can go while this kiosk is out of service."""

    place: Label  # 城南街道便民服务中心 / Chengnan Sub-district Service Centre
    address: Label
    hours: Label | None = None  # as written: 周一至周五 9:00–17:00
    distance: str = Field("", max_length=20)  # "800 m" / "2.3 km" / "约800米": shown as 约800米 / about 800 m
    # when it is open, for "明天 9:00 开门" (kiosk.opening): official working days (holidays and 调休 from
    # chinese-calendar and config/holidays), those and Saturdays, or every day
    days: Literal["workdays", "workdays_and_saturday", "every_day"] = "workdays"
    open_hours: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


class ServiceSection(Section):
    alternatives: tuple[Alternative, ...] = ()  # shown on the home screen in out-of-service mode, nearest first
    heartbeat_interval_s: int = Field(60, ge=10, le=3600)  # POST /v1/kiosks/{id}/heartbeat
    reprint_keep_h: int = Field(24, ge=1, le=72)  # how long masked receipts stay available for 补打
    # when the service counters are staffed (working days): help never sends a resident to a closed counter
    counter_hours: str = Field("08:30-17:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


class EvaluationSection(Section):
    """好差评: the reasons a poor rating offers, in this order, as national indicator codes
    (``kiosk.evaluation_codes``: sent as the code, shown through gettext)."""

    reasons: tuple[str, ...] = Field(tuple(REASONS), min_length=1, max_length=12)

    @field_validator("reasons", mode="before")
    @classmethod
    def _codes(cls, reasons: object) -> object:
        """Codes; an older configuration's ``{code, label}`` tables and project codes are read as the national codes
        (their labels now come from the catalogs); a reason with no national indicator (``other``) is dropped."""
        if not isinstance(reasons, list | tuple):
            return reasons
        codes = [str(r.get("code")) if isinstance(r, dict) else str(r) for r in reasons]
        return tuple(dict.fromkeys(FORMER_CODES.get(c, c) for c in codes if c != "other"))

    @field_validator("reasons")
    @classmethod
    def _national(cls, reasons: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [r for r in reasons if r not in REASONS]
        if unknown:
            raise ValueError(f"not a national 好差评 reason code: {unknown[0]} (codes: {', '.join(REASONS)})")
        return reasons


class Settings(Section):
    kiosk: KioskSection = KioskSection()
    display: DisplaySection = DisplaySection()
    elder: ElderSection = ElderSection()
    idle: IdleSection = IdleSection()
    devices: DevicesSection = DevicesSection()
    platform: PlatformSection = PlatformSection()
    home: HomeSection = HomeSection()
    staff: StaffSection = StaffSection()
    fleet: FleetSection = FleetSection()
    routing: RoutingSection = RoutingSection()
    service: ServiceSection = ServiceSection()
    evaluation: EvaluationSection = EvaluationSection()
