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
office (``community.handling_office``) or 政务服务中心. Office, place and document names are proper names (Chinese in
both languages, as printed on the receipt); the sentences around them are message ids with arguments
(``kiosk.i18n.Text``), translated where they are shown. Texts name the place and office once.
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
from kiosk.i18n import N_, Lines, Text

NO_MESSAGE = Text("")


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
    message: Text = NO_MESSAGE  # plain words for the screen
    where_to_go: tuple[Text, ...] = ()  # when not accepted: the places that can take it ("item: office")
    refused_items: tuple[str, ...] = ()  # item codes that cannot be applied for here

    @property
    def accepted(self) -> bool:
        return self.kind in (RouteKind.LOCAL, RouteKind.COMMUNITY)

    @property
    def explanation(self) -> Lines:
        """The message and, when not accepted here, each place to go on its own line."""
        return Lines((self.message, *self.where_to_go))


def _place(name: str, where: str) -> Text:
    return Text.of(N_("{label}: {value}"), label=name, value=where)


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


# Proper names of the field (the receipt and the platform use them as they are, in either language).
SERVICE_CENTRE = "政务服务中心"  # the office kind when an item names none
OFFICE_SEPARATOR = "、"  # between office names in the receipt's 办理机构
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

    def office_of(self, region: str, kind: str = SERVICE_CENTRE) -> str:
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
            places = tuple(dict.fromkeys(_place(i.name, i.place) for i in off_terminal))
            names = tuple(i.name for i in off_terminal)
            return Route(
                RouteKind.NOT_AT_TERMINAL,
                self.settings.region,
                "",
                message=Text.of(N_("{items}: not at a self-service terminal. Please go to the counter."), items=names),
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
        names = tuple(i.name for i, _ in away)
        here = [i for i in items if self.place_of(i, resident) is None]
        message = Text.of(N_("{items}: handled near home; this kiosk takes it and sends it to {offices}."),
                          items=names, offices=tuple(offices))  # fmt: skip
        if here:
            departments = tuple(dict.fromkeys(i.department for i in here))
            message = Text.of(N_("{first} {items}: handled by {offices}."), first=message,
                              items=tuple(i.name for i in here), offices=departments)  # fmt: skip
        return Route(RouteKind.COMMUNITY, regions[0], OFFICE_SEPARATOR.join(offices), message=message)

    def _office(self, item: Item, region: str) -> str:
        return self.office_of(region, item.community.handling_office if item.community else SERVICE_CENTRE)

    def _local(self, items: Sequence[Item], resident: ResidentPlace) -> Route:
        departments = tuple(dict.fromkeys(i.department for i in items))
        rules = {i.routing for i in items}
        region = self.settings.region_name
        if resident.registration is None and RouteRule.HOUSEHOLD in rules:
            message = Text.of(N_("With your {document} you apply where you live, in {region}; {offices} handles it."),
                              document=resident.document, region=region, offices=departments)  # fmt: skip
        elif rules <= {RouteRule.RESIDENCE}:
            message = Text.of(N_("You apply where you usually live, in {region}; {offices} handles it."),
                              region=region, offices=departments)  # fmt: skip
        elif rules <= {RouteRule.COUNTY_WIDE}:
            message = Text.of(N_("Any service centre in {region} takes it; {offices} handles it."),
                              region=region, offices=departments)  # fmt: skip
        else:
            message = Text.of(N_("You apply in {region}; {offices} handles it."), region=region, offices=departments)
        return Route(RouteKind.LOCAL, self.settings.region, OFFICE_SEPARATOR.join(departments), message=message)

    def _elsewhere(self, refused: Sequence[tuple[Item, str]]) -> Route:
        names = tuple(i.name for i, _ in refused)
        by_rule = {i.routing for i, _ in refused}
        if by_rule == {RouteRule.INSURED}:
            why = N_("You are not insured in {region}, so this kiosk cannot take {items}. Please go to:")
        elif by_rule == {RouteRule.HOUSEHOLD}:
            why = N_("Your household is not registered in {region}, so this kiosk cannot take {items}. Please go to:")
        else:
            why = N_("Your household or insurance is not in {region}, so this kiosk cannot take {items}. Please go to:")
        places = tuple(dict.fromkeys(_place(i.name, self._office(i, p)) for i, p in refused))
        return Route(
            RouteKind.ELSEWHERE,
            refused[0][1],
            "",
            message=Text.of(why, region=self.settings.region_name, items=names),
            where_to_go=places,
            refused_items=tuple(i.code for i, _ in refused),
        )
