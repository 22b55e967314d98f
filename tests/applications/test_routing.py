"""社区通办 routing: local residents, accepted community items, refusals that say where to go, configuration."""

from __future__ import annotations

import pytest

from drivers.identity import CardType, Source
from kiosk.applications import NotReady, RouteKind, Router
from kiosk.config import ConfigError
from kiosk.config.loader import validate
from kiosk.config.schema import RoutingSection

TEMP_RELIEF = "330199000300220000"  # community: all
ELDER_ALLOWANCE = "330199000300120000"  # community: "33" (Zhejiang only), office 户籍地乡镇（街道）民政办
CARE = "330199000600320000"  # community: "3301"
BUSINESS = "330199001000110000"  # at the terminal, no community service
NOT_AT_TERMINAL = "330199000600520000"


@pytest.fixture
def router(settings):
    return Router(settings.routing)


def test_local_resident_is_handled_by_the_items_department(local, catalog):
    app = local.start_application(item_code=BUSINESS)
    item = catalog.item(BUSINESS)
    assert app.route.kind is RouteKind.LOCAL and app.route.accepted
    assert app.route.region_code == "330199" and app.route.office == item.department


def test_community_item_goes_to_the_home_office(zhang):
    app = zhang.start_application(item_code=TEMP_RELIEF)
    assert app.route.kind is RouteKind.COMMUNITY
    assert (app.route.region_code, app.route.office) == ("110105", "北京市朝阳区政务服务中心")
    assert "社区通办" in app.route.message


def test_longest_prefix_wins(router, catalog):
    item = catalog.item(ELDER_ALLOWANCE)
    assert router.route([item], "330106").office == "杭州市西湖区民生服务中心"  # 6 digits beat "33"
    assert router.route([item], "330781").office == "浙江省户籍地乡镇（街道）便民服务中心"


def test_routing_settings_stay_hashable(settings):
    assert hash(settings) == hash(settings.model_copy())
    assert dict(settings.routing.offices)["110105"] == "北京市朝阳区政务服务中心"


def test_no_configured_office_falls_back_to_the_items_handling_office(catalog):
    router = Router(RoutingSection(region="330199", offices={}))
    route = router.route([catalog.item(ELDER_ALLOWANCE)], "330781")
    assert route.kind is RouteKind.COMMUNITY and route.office == "户籍地乡镇（街道）民政办"


def test_not_accepted_here_says_where_to_go(zhang, catalog):
    app = zhang.start_application(item_code=ELDER_ALLOWANCE)  # Beijing resident, item only for "33"
    item = catalog.item(ELDER_ALLOWANCE)
    assert app.route.kind is RouteKind.ELSEWHERE and not app.route.accepted
    assert app.route.where_to_go == (f"高龄津贴申领：{item.place}", "户籍地：北京市朝阳区政务服务中心")
    assert "您的户籍不在示例县" in app.route.message
    with pytest.raises(NotReady) as refused:
        zhang.submit(app)
    assert "北京市朝阳区政务服务中心" in refused.value.readiness.message


def test_unknown_home_region_still_names_it(router, catalog):
    route = router.route([catalog.item(CARE)], "630102")
    assert route.where_to_go[-1] == "户籍地（行政区划代码 630102）政务服务中心"


def test_item_not_at_the_terminal(router, catalog):
    route = router.route([catalog.item(NOT_AT_TERMINAL)], "330199")
    assert route.kind is RouteKind.NOT_AT_TERMINAL and catalog.item(NOT_AT_TERMINAL).place in route.where_to_go[0]


def test_bundle_refused_when_one_item_is_not_accepted(router, catalog):
    bundle = catalog.bundle("disability")
    items = list(bundle.resolved_items)
    route = router.route(items, "110105")
    refused = [i.code for i in items if not (i.community and i.community.accepts("110105"))]
    assert route.kind is RouteKind.ELSEWHERE and list(route.refused_items) == refused
    assert router.route(items, "330199").kind is RouteKind.LOCAL


def test_social_security_card_region_code_is_the_registration_region(router, catalog, h):
    ssc = h.person("钱塘", "110105199003071239", Source.SOCIAL_SECURITY_CARD, region_code="330106")
    assert ssc.registration_region == "330106"
    assert router.route([catalog.item(ELDER_ALLOWANCE)], ssc.registration_region).kind is RouteKind.COMMUNITY


def test_permit_holders_apply_where_they_live(router, catalog, h):
    permit = h.person("黄志明", "810000198506120032", card_type=CardType.HMT_PERMIT)
    assert permit.registration_region is None
    route = router.route([catalog.item(ELDER_ALLOWANCE)], permit.registration_region)
    assert route.kind is RouteKind.LOCAL and route.region_code == "330199"


def test_local_prefixes_widen_the_local_area(catalog):
    router = Router(RoutingSection(region="330199", local_prefixes=("3301",)))
    assert router.route([catalog.item(BUSINESS)], "330106").kind is RouteKind.LOCAL
    assert router.route([catalog.item(BUSINESS)], "110105").kind is RouteKind.ELSEWHERE


@pytest.mark.parametrize(
    "routing, field",
    [
        ({"region": "3301"}, "routing.region"),
        ({"offices": {"3": "x"}}, "routing.offices"),
        ({"offices": {"110105": ""}}, "routing.offices"),
        ({"local_prefixes": ["33a"]}, "routing.local_prefixes"),
        ({"offices": [["110105", "a"], ["110105", "b"]]}, "routing.offices"),
        ({"unknown": 1}, "routing.unknown"),
    ],
)
def test_bad_routing_configuration_is_refused_naming_the_field(routing, field):
    with pytest.raises(ConfigError) as refused:
        validate({"routing": routing}, "site.toml")
    assert field in refused.value.messages[0]
