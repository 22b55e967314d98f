"""The one Identity model every identity source produces (ID card, social-security card, phone QR).

Also the GB 11643 check digit, which both card drivers need. Personal data lives in these objects
and nowhere else on the driver side: ``__repr__`` is masked so an Identity that slips into a log
line or a traceback does not leak.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

# GB 3304 as both cards carry it (汉, not 汉族), shared by the ID-card and social-security card drivers;
# 97/98 are the two non-ethnic entries.
NATIONS: dict[str, str] = {
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝", "08": "壮",
    "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白", "15": "土家", "16": "哈尼",
    "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤", "22": "畲", "23": "高山", "24": "拉祜",
    "25": "水", "26": "东乡", "27": "纳西", "28": "景颇", "29": "柯尔克孜", "30": "土", "31": "达斡尔",
    "32": "仫佬", "33": "羌", "34": "布朗", "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌",
    "40": "普米", "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
    "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春", "53": "赫哲",
    "54": "门巴", "55": "珞巴", "56": "基诺", "97": "其他", "98": "外国血统中国籍人士",
}  # fmt: skip

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class Source(enum.StrEnum):
    ID_CARD = "idcard"
    SOCIAL_SECURITY_CARD = "sscard"
    EID_QR = "eid_qr"
    ESSC_QR = "essc_qr"
    ENTERED = "entered"  # typed in by an agent (帮办代办) for a principal who is not at the kiosk: not verified


class CardType(enum.StrEnum):
    RESIDENT = "resident"
    HMT_PERMIT = "hmt_permit"
    FOREIGN_PERMANENT_2017 = "foreign_permanent_2017"
    FOREIGN_PERMANENT_2023 = "foreign_permanent_2023"
    SOCIAL_SECURITY = "social_security"

    @property
    def id_type(self) -> str:
        """The platform contract's id_type for this card."""
        if self in (CardType.FOREIGN_PERMANENT_2017, CardType.FOREIGN_PERMANENT_2023):
            return "foreign_permanent"
        if self is CardType.HMT_PERMIT:
            return "hmt_permit"
        return "resident"


class Sex(enum.StrEnum):
    UNKNOWN = "unknown"
    MALE = "male"
    FEMALE = "female"
    UNSPECIFIED = "unspecified"

    @classmethod
    def from_code(cls, code: str) -> Sex:
        """GB/T 2261.1: 0 unknown, 1 male, 2 female, 9 unspecified."""
        return {"0": cls.UNKNOWN, "1": cls.MALE, "2": cls.FEMALE, "9": cls.UNSPECIFIED}.get(code.strip(), cls.UNKNOWN)


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def id_number_valid(number: str) -> bool:
    """True when an 18-character citizen/permit number has a correct check digit."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return check_digit(number[:17]) == number[17].upper()


@dataclass(frozen=True, repr=False)
class Identity:
    source: Source
    card_type: CardType
    name: str
    id_number: str
    sex: Sex = Sex.UNKNOWN
    birth_date: dt.date | None = None
    name_en: str | None = None
    nation: str | None = None  # Chinese name of the ethnic group, e.g. 汉
    nationality: str | None = None  # GB/T 2659 alpha-3
    address: str | None = None
    authority: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None  # None: 长期 (no expiry) or unknown
    permit_number: str | None = None
    issue_count: int | None = None
    renewal_count: int | None = None
    old_card_number: str | None = None
    photo: bytes | None = None  # raw WLT bytes from the card; decoded only by a plug-in
    region_code: str | None = None  # household-registration division (ID prefix, or card region)
    warnings: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)  # source-specific (card number, version …)

    @property
    def id_type(self) -> str:
        return self.card_type.id_type

    @property
    def registration_region(self) -> str | None:
        """The 6-digit division code used for 社区通办 routing.

        Permit and foreigner numbers (81/82/83…, 9…, letters) carry no household-registration code.
        """
        if self.region_code:
            return self.region_code
        if self.id_type != "resident":
            return None
        if len(self.id_number) >= 6 and self.id_number[:6].isdigit():
            return self.id_number[:6]
        return None

    def __repr__(self) -> str:
        masked = self.id_number[:6] + "*" * max(0, len(self.id_number) - 10) + self.id_number[-4:]
        return f"Identity(source={self.source}, card_type={self.card_type}, id_number={masked!r})"

    __str__ = __repr__
