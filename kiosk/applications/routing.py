"""Routing by rule: which office handles an application, or where the resident must go instead.

Each item says whose place decides (``Item.routing``, DOMAIN.md §4):

- 户籍地: the household-registration region (``Identity.registration_region``). Registered in the kiosk's
  local area: the item's own department. Elsewhere: accepted here only when the item's ``community``
  (社区通办) list takes that region, and then sent to that region's office; otherwise refused, naming it.
  Holders of a 港澳台居民居住证 or a 外国人永久居留身份证 have no mainland registration: they apply where
  they live, here.
- 参保地: where the resident is insured: the social-security card's region when the card was read, else this
  county (the guide says to go to the insuring agency when that is elsewhere). Same handling as 户籍地.
- 经常居住地, 受理地, 全县通办: this county; the item's own department handles it, whoever applies.

Office names come from ``[routing.offices]`` (division-code prefix → office, longest wins); a region with
no entry is named from the national division table (python-stdnum's ``cn/loc``) with the item's kind of
office (``community.handling_office``) or 政务服务中心. Texts name the place and office once; the rule
words are never pasted together.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from drivers.identity import CardType, Identity, Source
from kiosk.catalog import Item
from kiosk.catalog.model import RouteRule
from kiosk.config.schema import RoutingSection


class RouteKind(StrEnum):
    LOCAL = "local"  # handled in this county by the item's department
    COMMUNITY = "community"  # 社区通办: accepted here, handled by the office of the resident's home/insured region
    ELSEWHERE = "elsewhere"  # not accepted at this kiosk for that region
    NOT_AT_TERMINAL = "not_at_terminal"  # the item cannot be applied for at a self-service terminal


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    region_code: str  # handling_region_code sent to the platform (the home region, or this kiosk's)
    office: str  # handling office's name, for the receipt
    message: str = ""  # plain words for the screen
    where_to_go: tuple[str, ...] = ()  # when not accepted: the places that can take it
    refused_items: tuple[str, ...] = ()  # item codes that cannot be applied for here

    @property
    def accepted(self) -> bool:
        return self.kind in (RouteKind.LOCAL, RouteKind.COMMUNITY)


@dataclass(frozen=True)
class ResidentPlace:
    """What routing needs to know of the applicant."""

    registration: str | None  # 户籍 division; None for permit and foreigner cards
    insured: str | None = None  # 参保地 when known (a social-security card read)
    document: str = "居民身份证"  # for the text addressed to permit and foreigner card holders

    @classmethod
    def of(cls, identity: Identity) -> ResidentPlace:
        insured = identity.region_code if identity.source is Source.SOCIAL_SECURITY_CARD else None
        document = {
            CardType.HMT_PERMIT: "港澳台居民居住证",
            CardType.FOREIGN_PERMANENT_2017: "外国人永久居留身份证",
            CardType.FOREIGN_PERMANENT_2023: "外国人永久居留身份证",
        }.get(identity.card_type, "居民身份证")
        return cls(identity.registration_region, insured, document)


_BRACKETS = re.compile(r"\[[^\]]*\]")


@cache
def division_name(region: str) -> str | None:
    """The province and county of a 6-digit division code (北京市朝阳区), or None when unknown."""
    try:
        from stdnum import numdb

        info = numdb.get("cn/loc").info(region)
    except (ImportError, OSError):  # the table is a convenience; configured offices still work
        return None
    if len(info) < 2 or "county" not in info[1][1]:
        return None
    province = info[0][1].get("province", "")
    county = _BRACKETS.sub("", info[1][1]["county"]).strip()
    if not county:
        return None
    return county if county.startswith(province) else province + county


class Router:
    def __init__(self, settings: RoutingSection) -> None:
        self.settings = settings

    def office_of(self, region: str, kind: str = "政务服务中心") -> str:
        """The office of a region: the configured one (longest prefix), else named from the division table."""
        best = None
        for prefix, office in self.settings.offices:
            if region.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
                best = (prefix, office)
        if best is not None:
            return best[1]
        name = division_name(region)
        return f"{name}{kind}" if name else f"行政区划代码{region}所在县（市、区）{kind}"

    def is_local(self, region: str | None) -> bool:
        return region is None or any(region.startswith(p) for p in self.settings.local)

    def place_of(self, item: Item, resident: ResidentPlace) -> str | None:
        """The region whose office handles ``item`` for ``resident``; None means this county."""
        if item.routing is RouteRule.HOUSEHOLD:
            region = resident.registration
        elif item.routing is RouteRule.INSURED:
            region = resident.insured
        else:
            return None
        return None if self.is_local(region) else region

    def route(self, items: Sequence[Item], resident: ResidentPlace | str | None) -> Route:
        """The route of one item, or of a bundle's items (all must be accepted, or the bundle is refused)."""
        if not items:
            raise ValueError("no items to route")
        if not isinstance(resident, ResidentPlace):
            resident = ResidentPlace(resident, resident)
        off_terminal = [i for i in items if not i.at_terminal]
        if off_terminal:
            places = tuple(dict.fromkeys(f"{i.name}：{i.place}" for i in off_terminal))
            return Route(
                RouteKind.NOT_AT_TERMINAL,
                self.settings.region,
                "",
                message=f"{'、'.join(i.name for i in off_terminal)}不能在自助终端办理，请到窗口办理。",
                where_to_go=places,
                refused_items=tuple(i.code for i in off_terminal),
            )
        away = [(i, place) for i in items if (place := self.place_of(i, resident)) is not None]
        if not away:
            return self._local(items, resident)
        refused = [(i, p) for i, p in away if i.community is None or not i.community.accepts(p)]
        if refused:
            return self._elsewhere(refused)
        regions = list(dict.fromkeys(p for _, p in away))
        offices = list(dict.fromkeys(self._office(i, p) for i, p in away))
        names = "、".join(i.name for i, _ in away)
        here = [i for i in items if self.place_of(i, resident) is None]
        message = f"{names}属于社区通办事项，本机受理后转{'、'.join(offices)}办理。"
        if here:
            departments = "、".join(dict.fromkeys(i.department for i in here))
            message += f"{'、'.join(i.name for i in here)}由{departments}办理。"
        return Route(RouteKind.COMMUNITY, regions[0], "、".join(offices), message=message)

    def _office(self, item: Item, region: str) -> str:
        return self.office_of(region, item.community.handling_office if item.community else "政务服务中心")

    def _local(self, items: Sequence[Item], resident: ResidentPlace) -> Route:
        offices = "、".join(dict.fromkeys(i.department for i in items))
        rules = {i.routing for i in items}
        if resident.registration is None and RouteRule.HOUSEHOLD in rules:
            lead = f"您持{resident.document}，按居住地在{self.settings.region_name}办理"
        elif rules <= {RouteRule.RESIDENCE}:
            lead = f"按经常居住地在{self.settings.region_name}办理"
        elif rules <= {RouteRule.COUNTY_WIDE}:
            lead = f"{self.settings.region_name}任一便民服务中心均可受理"
        else:
            lead = f"在{self.settings.region_name}办理"
        return Route(RouteKind.LOCAL, self.settings.region, offices, message=f"{lead}，由{offices}负责。")

    def _elsewhere(self, refused: Sequence[tuple[Item, str]]) -> Route:
        names = "、".join(i.name for i, _ in refused)
        by_rule = {i.routing for i, _ in refused}
        if by_rule == {RouteRule.INSURED}:
            why = f"您的参保地不在{self.settings.region_name}"
        elif by_rule == {RouteRule.HOUSEHOLD}:
            why = f"您的户籍不在{self.settings.region_name}"
        else:
            why = f"您的户籍或参保地不在{self.settings.region_name}"
        places = tuple(dict.fromkeys(f"{i.name}：{self._office(i, p)}" for i, p in refused))
        return Route(
            RouteKind.ELSEWHERE,
            refused[0][1],
            "",
            message=f"{why}，本机不能为您受理{names}。请到以下地点办理：",
            where_to_go=places,
            refused_items=tuple(i.code for i, _ in refused),
        )
