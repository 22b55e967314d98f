"""Narrowing from the previous keystroke gives exactly what a fresh index gives, however the resident types."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.catalog.loader import Catalog
from kiosk.catalog.model import Department, Item
from kiosk.catalog.search import SearchIndex, _advance, _encode, _one_edit_prefix, _pattern, _typo_probes, normalize

HANZI = "社会保障卡申领高龄津贴户口迁移临时救助残疾人证换领医疗保险住院费用报销老年乘车退役军人优待林木采伐许可行长重乘"
QUERY_CHARS = HANZI + "abcdeghijklnosuxyz12"


def _catalog(names: list[str], terminal: list[bool]) -> Catalog:
    dept = Department(code="11330199MB0010100X", name="示例县测试局", short_name="测试局", phone="0571-86010000",
                      complaint_phone="12345",
                      address="示例县", hours="工作日")
    items = [
        Item(code=f"330199{i:012d}", basic_code=f"{i:012d}", name=name, aliases=tuple({name[::-1][:3]} - {name}),
             department_code=dept.code, department=dept.name, item_type="即办件", legal_basis=("x",),
             conditions=("x",), process=("x",), statutory_days=1, promised_days=0, consult_phone="0571-86010000",
             complaint="12345", place="中心", hours="工作日", visits=0, at_terminal=t, result="x")
        for i, (name, t) in enumerate(zip(names, terminal, strict=True))
    ]
    return Catalog([dept], items, [])


names_strategy = st.lists(st.text(alphabet=HANZI + "AB12", min_size=2, max_size=10), min_size=1, max_size=25,
                          unique_by=normalize).filter(lambda ns: all(len(normalize(n)) >= 2 for n in ns))


def _hits(index: SearchIndex, query: str, limit: int, terminal: bool) -> list[tuple[str, int]]:
    return [(h.item.code, h.score) for h in index.search(query, limit=limit, at_terminal_only=terminal)]


@settings(max_examples=60, deadline=None)
@given(
    names=names_strategy,
    typed=st.lists(st.tuples(st.text(alphabet=QUERY_CHARS, min_size=1, max_size=3), st.integers(0, 3)), max_size=8),
    limit=st.integers(1, 6),
    data=st.data(),
)
def test_typing_and_backspacing_matches_a_fresh_index(names, typed, limit, data):
    catalog = _catalog(names, [i % 3 != 0 for i in range(len(names))])
    warm = SearchIndex(catalog)
    query = ""
    for chunk, backspaces in typed:
        for ch in chunk:  # one keystroke at a time, as on the touchscreen
            query += ch
            terminal = data.draw(st.booleans())
            assert _hits(warm, query, limit, terminal) == _hits(SearchIndex(catalog), query, limit, terminal), query
        query = query[: len(query) - backspaces]


@settings(max_examples=300, deadline=None)
@given(key=st.text(alphabet=HANZI + "ab1", min_size=1, max_size=8), query=st.text(alphabet=QUERY_CHARS, min_size=1,
                                                                                  max_size=6))
def test_stepping_through_units_is_the_regex_language(key, query):
    key, query = normalize(key), normalize(query)
    if not key or not query:
        return
    text, _, _, units = _encode(key)
    states = _advance(None, query, units)
    assert bool(states) == bool(_pattern(query).search(text))
    assert any(s & 1 for s in states) == bool(_pattern(query, True).match("\n" + text))
    split = len(query) // 2
    if split:  # stepping on from an earlier keystroke's states lands in the same states
        assert _advance(_advance(None, query[:split], units) or None, query[split:], units) == states or not states


def test_narrowed_typos_match_a_fresh_index():
    catalog = _catalog(["高龄津贴申领", "高龄老人补贴", "高龄津贴发放", "临时救助"], [True, False, True, True])
    warm = SearchIndex(catalog)
    for query in ("gaol", "gaoli", "gaolim", "gaolimg", "gaolimgj", "gaolimgjintie", "gaolimgj", "gaolimgb"):
        assert _hits(warm, query, 3, False) == _hits(SearchIndex(catalog), query, 3, False), query
    assert "高龄津贴申领" in [h.item.name for h in warm.search("gaolimgjintie")]


def test_record_use_forgets_what_was_narrowed():
    catalog = _catalog(["社会保障卡申领", "社会保障卡补换", "社会保障卡挂失"], [True, True, True])
    index = SearchIndex(catalog)
    assert index.search("shehuibaozhang", limit=1)[0].item.name == "社会保障卡申领"
    index.record_use(catalog.items[2].code)
    assert index.search("shehuibaozhangk", limit=1)[0].item.name == "社会保障卡挂失"


@settings(max_examples=400, deadline=None)
@given(word=st.text(alphabet="abcde", min_size=4, max_size=14), edit=st.integers(0, 3), pos=st.integers(0, 13),
       ch=st.sampled_from("abcz"), tail=st.text(alphabet="abc", max_size=4))
def test_typo_probes_find_every_key_within_one_edit(word, edit, pos, ch, tail):
    pos %= len(word)
    query = [
        word[:pos] + ch + word[pos + 1 :],
        word[:pos] + ch + word[pos:],
        word[:pos] + word[pos + 1 :],
        word[:pos] + word[pos + 1 : pos + 2] + word[pos] + word[pos + 2 :],
    ][edit]
    key = word + tail
    if len(query) < 4 or not _one_edit_prefix(query, key):
        return
    text = "\nxyz\n" + key + "\nzyx"
    heads, held = _typo_probes(query)
    assert any("\n" + head in text for head in heads) or held.search(text), (query, key)


def test_dense_inside_matches_do_not_hide_a_late_prefix_hit():
    # 600 names with 申领 inside, and two starting with 申 near the end of the rank order: the one pass over
    # "shenl" sees hundreds of inside hits first and must still rank the two prefix hits on top.
    heads = "高龄临时残疾医疗住院老年退役林木户口社会"
    names = [f"{heads[i % 20]}{heads[(i // 20) % 20]}{heads[(i // 400) % 20]}申领" for i in range(600)]
    names += ["申领社会保障卡", "申领高龄津贴"]
    catalog = _catalog(names, [True] * len(names))
    for query in ("shenl", "shenli", "shenling"):
        hits = SearchIndex(catalog).search(query, limit=5)
        assert [h.item.name for h in hits[:2]] == ["申领社会保障卡", "申领高龄津贴"], query
        assert [h.score for h in hits] == [80, 80, 60, 60, 60]
        assert [h.item.name for h in hits[2:]] == names[:3]
