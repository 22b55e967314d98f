"""社区通办 routing: which office handles an application, or where the resident must go instead.

The handling region is the applicant's household-registration region (``Identity.registration_region``:
the ID-number prefix, or the social-security card's region code). A resident registered in one of the
kiosk's local prefixes is handled here by the item's own department. Anyone else may apply here only for
items whose ``community`` accepts their region; the application then goes to their home region's office
(``[routing.offices]``, longest prefix wins; the item's ``community.handling_office`` when no entry
matches). Permit and foreigner numbers carry no registration region: they apply where they live, so they
are treated as local.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from kiosk.catalog import Item
from kiosk.config.schema import RoutingSection


class RouteKind(StrEnum):
    LOCAL = "local"  # registered here (or no registration region): the item's department handles it
    COMMUNITY = "community"  # 社区通办: accepted here, handled by the home region's office
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


class Router:
    def __init__(self, settings: RoutingSection) -> None:
        self.settings = settings

    def office_of(self, region: str) -> str | None:
        """The configured office for a region: the longest matching prefix, or None."""
        best = None
        for prefix, office in self.settings.offices:
            if region.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
                best = (prefix, office)
        return best[1] if best else None

    def is_local(self, region: str | None) -> bool:
        return region is None or any(region.startswith(p) for p in self.settings.local)

    def route(self, items: Sequence[Item], region: str | None) -> Route:
        """The route of one item, or of a bundle's items (all must be accepted, or the bundle is refused)."""
        if not items:
            raise ValueError("no items to route")
        names = "、".join(i.name for i in items)
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
        if self.is_local(region):
            offices = tuple(dict.fromkeys(i.department for i in items))
            return Route(RouteKind.LOCAL, self.settings.region, "、".join(offices))
        assert region is not None
        refused = [i for i in items if i.community is None or not i.community.accepts(region)]
        home_office = self.office_of(region)
        if refused:
            places = [f"{i.name}：{i.place}" for i in refused]
            if home_office:
                places.append(f"户籍地：{home_office}")
            else:
                places.append(f"户籍地（行政区划代码 {region}）政务服务中心")
            return Route(
                RouteKind.ELSEWHERE,
                region,
                "",
                message=(
                    f"您的户籍不在{self.settings.region_name}，本机不能为您受理{'、'.join(i.name for i in refused)}。"
                    "请到以下地点办理："
                ),
                where_to_go=tuple(dict.fromkeys(places)),
                refused_items=tuple(i.code for i in refused),
            )
        fallback = "、".join(dict.fromkeys(i.community.handling_office for i in items if i.community))
        office = home_office or fallback
        return Route(
            RouteKind.COMMUNITY,
            region,
            office,
            message=f"{names}属于社区通办事项，本机受理后转至户籍地{office}办理。",
        )
