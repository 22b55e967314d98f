"""Routing by rule: local residents, accepted community items, refusals that say where to go, every item for every
kind of resident, configuration."""

from __future__ import annotations

import pytest

from drivers.identity import CardType, Source
from kiosk.applications import NotReady, ResidentPlace, RouteKind, Router
from kiosk.catalog.model import RULE_WORDS, RouteRule
from kiosk.config import ConfigError
from kiosk.config.loader import validate
from kiosk.config.schema import RoutingSection
from kiosk.i18n import translate

TEMP_RELIEF = "330199000300220000"  # 户籍地, community: all
ELDER_ALLOWANCE = "330199000300120000"  # 户籍地, community: "33" (Zhejiang only), office kind 乡镇（街道）民政办
RESIDENCE_PERMIT = "330199000400620000"  # 经常居住地
SSC_APPLY = "330199000100310000"  # 参保地, community: all
LEGAL_AID = "330199001400120000"  # 受理地
CARE = "330199000600320000"  # community: "3301"
BUSINESS = "330199001000110000"  # at the terminal, no community service
NOT_AT_TERMINAL = "330199000600520000"


def zh(message):
    """The core gives message ids with arguments: what the resident reads in Chinese."""
    return translate(message, "zh_CN")



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
    assert (app.route.region_code, app.route.office) == ("110105", "北京市朝阳区乡镇（街道）便民服务中心")
    assert zh(app.route.message) == "临时救助属于社区通办事项，本机受理后转北京市朝阳区乡镇（街道）便民服务中心办理。"


def test_longest_prefix_wins(router, catalog):
    item = catalog.item(ELDER_ALLOWANCE)
    assert router.route([item], "330106").office == "杭州市西湖区政务服务中心"  # configured
    assert router.route([item], "330781").office == "浙江省兰溪市乡镇（街道）民政办"  # from the division table


def test_routing_settings_stay_hashable(settings):
    assert hash(settings) == hash(settings.model_copy())
    assert dict(settings.routing.offices)["330106"] == "杭州市西湖区政务服务中心"


def test_no_configured_office_names_the_region_and_the_items_kind_of_office(catalog):
    router = Router(RoutingSection(region="330199", offices={}))
    route = router.route([catalog.item(ELDER_ALLOWANCE)], "330106")
    assert route.kind is RouteKind.COMMUNITY and route.office == "浙江省西湖区乡镇（街道）民政办"


def test_not_accepted_here_says_where_to_go(zhang, catalog):
    app = zhang.start_application(item_code=ELDER_ALLOWANCE)  # Beijing resident, item only for "33"
    item = catalog.item(ELDER_ALLOWANCE)
    assert app.route.kind is RouteKind.ELSEWHERE and not app.route.accepted
    assert item.community is not None
    assert tuple(map(zh, app.route.where_to_go)) == ("高龄津贴申领：北京市朝阳区乡镇（街道）民政办",)
    assert zh(app.route.message) == "您的户籍不在示例县，本机不能为您受理高龄津贴申领。请到以下地点办理："
    with pytest.raises(NotReady) as refused:
        zhang.submit(app)
    assert "北京市朝阳区乡镇（街道）民政办" in zh(refused.value.readiness.message)
    english = translate(app.route.explanation, "en").splitlines()  # the same words in English, the names as they are
    assert english == [
        "Your household is not registered in 示例县, so this kiosk cannot take 高龄津贴申领. Please go to:",
        "高龄津贴申领: 北京市朝阳区乡镇（街道）民政办",
    ]


def test_unknown_home_region_still_names_it(router, catalog):
    route = router.route([catalog.item(CARE)], "999901")
    office = "行政区划代码999901所在县（市、区）县级残疾人联合会"
    assert tuple(map(zh, route.where_to_go)) == (f"残疾人托养服务申请：{office}",)


def test_item_not_at_the_terminal(router, catalog):
    route = router.route([catalog.item(NOT_AT_TERMINAL)], "330199")
    assert route.kind is RouteKind.NOT_AT_TERMINAL and catalog.item(NOT_AT_TERMINAL).place in zh(route.where_to_go[0])


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
    assert router.route([catalog.item(CARE)], "330106").kind is RouteKind.LOCAL
    assert router.route([catalog.item(CARE)], "110105").kind is RouteKind.ELSEWHERE


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


def test_residence_items_are_handled_here_for_migrants(router, catalog):
    route = router.route([catalog.item(RESIDENCE_PERMIT)], ResidentPlace("110105"))
    assert route.kind is RouteKind.LOCAL and route.office == "示例县公安局"
    assert zh(route.message) == "按经常居住地在示例县办理，由示例县公安局负责。"


def test_business_items_are_handled_where_accepted_whoever_applies(router, catalog):
    route = router.route([catalog.item(BUSINESS)], ResidentPlace("110105"))
    assert route.kind is RouteKind.LOCAL and route.office == catalog.item(BUSINESS).department


def test_insured_place_decides_social_insurance_items(router, catalog):
    item = catalog.item(SSC_APPLY)
    assert router.route([item], ResidentPlace("110105")).kind is RouteKind.LOCAL  # insured here (an ID card read)
    sent = router.route([item], ResidentPlace("110105", insured="310104"))  # a Shanghai social-security card
    assert sent.kind is RouteKind.COMMUNITY and sent.office == "上海市徐汇区社会保障卡服务机构"
    assert zh(sent.message) == "社会保障卡申领属于社区通办事项，本机受理后转上海市徐汇区社会保障卡服务机构办理。"


def test_the_guide_office_and_the_receipt_office_agree_for_accepting_place_items(router, catalog):
    item = catalog.item(LEGAL_AID)
    assert item.routing is RouteRule.ACCEPTING
    assert router.route([item], ResidentPlace("110105")).office == item.department


KINDS = {
    "local": ResidentPlace("330199"),
    "migrant with 居住证": ResidentPlace("110105"),
    "other province, insured there": ResidentPlace("440305", insured="440305"),
    "港澳台": ResidentPlace(None, document="港澳台居民居住证"),
    "foreigner": ResidentPlace(None, document="外国人永久居留身份证"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_item_reads_right_for_every_kind_of_resident(router, catalog, kind):
    """Each item's route text names one place and one office, never a rule word pasted twice or left dangling."""
    for item in catalog.items:
        route = router.route([item], KINDS[kind])
        texts = [zh(route.message), route.office, *map(zh, route.where_to_go)]
        for text in texts:
            for word in RULE_WORDS:
                assert word + word not in text, (item.name, kind, text)
            assert "户籍地户籍" not in text and "地或" not in text and "任一税务" not in text, (item.name, kind, text)
            assert "None" not in text and "{" not in text, (item.name, kind, text)
        if route.kind is RouteKind.NOT_AT_TERMINAL:
            assert tuple(map(zh, route.where_to_go)) == (f"{item.name}：{item.place}",)
        elif route.kind is RouteKind.LOCAL:
            assert route.office == item.department and zh(route.message).endswith(f"由{item.department}负责。")
        elif route.kind is RouteKind.COMMUNITY:
            assert item.routing in (RouteRule.HOUSEHOLD, RouteRule.INSURED) and item.community is not None
            assert zh(route.message) == f"{item.name}属于社区通办事项，本机受理后转{route.office}办理。"
        else:
            assert route.where_to_go and zh(route.where_to_go[0]).startswith(f"{item.name}：")
            assert zh(route.message).endswith(f"本机不能为您受理{item.name}。请到以下地点办理：")
        if item.routing in (RouteRule.RESIDENCE, RouteRule.ACCEPTING, RouteRule.COUNTY_WIDE) and item.at_terminal:
            assert route.kind is RouteKind.LOCAL, (item.name, kind)
        if kind in ("港澳台", "foreigner") and item.at_terminal:
            assert (route.accepted and "您持" in zh(route.message)) or item.routing is not RouteRule.HOUSEHOLD
