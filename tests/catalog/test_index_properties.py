"""Property tests on the search index: every item is found by its own name, initials, pinyin and code."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.catalog.loader import Catalog
from kiosk.catalog.model import Department, Item
from kiosk.catalog.pinyin import syllables
from kiosk.catalog.search import SearchIndex, _one_edit_prefix, normalize

HANZI = "社会保障卡申领高龄津贴户口迁移临时救助残疾人证换领医疗保险住院费用报销老年乘车退役军人优待林木采伐许可行长重乘"


def test_sample_items_found_by_name_initials_pinyin_and_code(catalog, index):
    for item in catalog.items:
        syl = syllables(normalize(item.name))
        for query in (item.name, "".join(syl), "".join(s[0] for s in syl), item.code):
            found = [h.item.code for h in index.search(query, limit=len(catalog.items))]
            assert item.code in found, (query, item.name)
        assert index.search(item.name, limit=1)[0].item.code == item.code
        assert index.search(item.code, limit=1)[0].item.code == item.code


def _catalog(names: list[str], terminal: list[bool]) -> Catalog:
    dept = Department(code="11330199MB0010100X", name="示例县测试局", short_name="测试局", phone="0571-86010000",
                      complaint_phone="12345",
                      address="示例县", hours="工作日")
    items = [
        Item(code=f"330199{i:012d}", basic_code=f"{i:012d}", name=name, department_code=dept.code,
             department=dept.name, item_type="即办件", legal_basis=("x",), conditions=("x",), process=("x",),
             statutory_days=1, promised_days=0, consult_phone="0571-86010000", complaint="12345", place="中心",
             hours="工作日", visits=0, at_terminal=t, result="x")
        for i, (name, t) in enumerate(zip(names, terminal, strict=True))
    ]
    return Catalog([dept], items, [])


names_strategy = st.lists(st.text(alphabet=HANZI + "AB12", min_size=2, max_size=10), min_size=1, max_size=25,
                          unique_by=normalize).filter(lambda ns: all(len(normalize(n)) >= 2 for n in ns))


@settings(max_examples=40, deadline=None)
@given(names=names_strategy, data=st.data())
def test_generated_items_found_by_name_initials_and_code(names, data):
    terminal = data.draw(st.lists(st.booleans(), min_size=len(names), max_size=len(names)))
    catalog = _catalog(names, terminal)
    index = SearchIndex(catalog)
    everything = len(names)
    for item in catalog.items:
        syl = syllables(normalize(item.name))
        assert index.search(item.name, limit=1)[0].item.name == item.name
        for query in ("".join(syl), "".join(s[:1] for s in syl), item.code):
            assert item.code in [h.item.code for h in index.search(query, limit=everything)], query
        prefix = normalize(item.name)[: data.draw(st.integers(1, len(normalize(item.name))))]
        assert item.code in [h.item.code for h in index.search(prefix, limit=everything)]


@settings(max_examples=30, deadline=None)
@given(names=names_strategy, query=st.text(alphabet=HANZI + "abcxyz", max_size=6))
def test_results_ordered_and_filtered(names, query):
    catalog = _catalog(names, [i % 2 == 0 for i in range(len(names))])
    index = SearchIndex(catalog)
    hits = index.search(query, limit=len(names))
    assert len({h.item.code for h in hits}) == len(hits)
    keys = [(h.score, h.item.at_terminal) for h in hits]
    assert keys == sorted(keys, reverse=True)
    assert all(h.item.at_terminal for h in index.search(query, limit=len(names), at_terminal_only=True))


@settings(max_examples=200)
@given(word=st.text(alphabet="abcdefgh", min_size=4, max_size=12), pos=st.integers(0, 11), ch=st.sampled_from("xyz"),
       tail=st.text(alphabet="abc", max_size=4))
def test_one_edit_prefix_accepts_every_single_edit(word, pos, ch, tail):
    pos %= len(word)
    text = word + tail
    assert _one_edit_prefix(word, text)
    assert _one_edit_prefix(word[:pos] + ch + word[pos + 1 :], text)  # substitution
    assert _one_edit_prefix(word[:pos] + ch + word[pos:], text)  # an extra letter
    assert _one_edit_prefix(word[:pos] + word[pos + 1 :], text)  # a missing letter
    if pos + 1 < len(word):
        assert _one_edit_prefix(word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :], text)  # swap


def test_one_edit_prefix_refuses_two_edits():
    assert not _one_edit_prefix("gaolimgjimtie", "gaolingjintieshenling")
    assert not _one_edit_prefix("xyzxyz", "gaoling")


def test_record_use_breaks_ties():
    catalog = _catalog(["社会保障卡申领", "社会保障卡补换", "社会保障卡挂失"], [True, True, True])
    index = SearchIndex(catalog)
    assert index.search("社会保障卡", limit=3)[0].item.name == "社会保障卡申领"
    index.record_use(catalog.items[2].code)
    assert index.search("社会保障卡", limit=3)[0].item.name == "社会保障卡挂失"
    assert index.uses == {catalog.items[2].code: 1}
    again = SearchIndex(catalog, uses=index.uses)
    assert again.search("shbzk", limit=1)[0].item.name == "社会保障卡挂失"


def test_heteronyms_read_from_their_word():
    assert syllables("银行") == ["yin", "hang"]
    assert syllables("长期居住") == ["chang", "qi", "ju", "zhu"]
    assert syllables("乘车") == ["cheng", "che"]
    assert syllables("绿色") == ["lv", "se"]
