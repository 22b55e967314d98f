"""Pinyin on the real librime: phrases, paging, partial picks, no learning between residents."""

from __future__ import annotations

import pytest

from kiosk.ime.pinyin import PinyinComposer, candidates


def test_beijing_is_the_first_candidate(rime) -> None:
    assert candidates(rime, "beijing")[0] == "北京"


@pytest.mark.parametrize(("letters", "phrase"), [("zhongguo", "中国"), ("chaoyangqu", "朝阳区"),
                                                 ("renminlu", "人民路"), ("shenfenzheng", "身份证"),
                                                 ("xingfuxiaoqu", "幸福小区")])  # fmt: skip
def test_phrase_candidates_come_first(rime, letters: str, phrase: str) -> None:
    assert phrase in candidates(rime, letters)[:3]


def test_output_is_simplified(rime) -> None:
    assert candidates(rime, "guojia")[0] == "国家"  # not 國家
    assert "绿" in candidates(rime, "lv")  # v types ü


def test_pages_follow_each_other_without_overlap(rime) -> None:
    composer = PinyinComposer(rime)
    composer.type("shi")
    first, second = composer.page(0, 6), composer.page(1, 6)
    assert len(first.candidates) == 6 and first.has_more and second.number == 1
    assert not set(first.candidates) & set(second.candidates)
    assert list(first.candidates + second.candidates) == candidates(rime, "shi", 12)
    picked = second.candidates[2]
    assert composer.pick(6 + 2) == picked  # a pick on page 2 commits that candidate
    assert composer.raw == "" and composer.page(0, 6).candidates == ()
    composer.close()


def test_a_phrase_can_be_picked_in_parts(rime) -> None:
    composer = PinyinComposer(rime)
    composer.type("zhongguoren")
    page = composer.page(0, 8)
    assert page.candidates[0] == "中国人"
    assert composer.pick(page.candidates.index("中国")) == ""  # confirmed; 人 still to choose
    assert composer.preedit.startswith("中国")
    rest = composer.page(0, 8).candidates
    assert rest[0] == "人"
    assert composer.pick(0) == "中国人"
    composer.close()


def test_backspace_and_clear(rime) -> None:
    composer = PinyinComposer(rime)
    composer.type("beijingx")
    composer.backspace()
    assert composer.raw == "beijing"
    composer.clear()
    assert composer.raw == "" and composer.page(0, 6).candidates == ()
    composer.close()


def test_only_letters_are_typed(rime) -> None:
    composer = PinyinComposer(rime)
    for bad in ("1", "{Return}", "北", ""):
        with pytest.raises(ValueError):
            composer.type(bad)
    composer.close()


def test_nothing_is_learned_from_a_resident(rime) -> None:
    """A rare name picked by one resident must not rise for the next one (learning is off)."""
    before = candidates(rime, "wangxiaoming", 20)
    rare = before[-1]
    composer = PinyinComposer(rime)
    composer.type("wangxiaoming")
    composer.pick(len(before) - 1)
    composer.close()
    assert candidates(rime, "wangxiaoming", 20) == before
    assert rare != before[0]
    assert not any(p.name.endswith(".userdb") for p in rime.cache_dir.iterdir())


def test_the_cache_holds_the_projects_patches(rime) -> None:
    text = (rime.cache_dir / "luna_pinyin_simp.custom.yaml").read_text(encoding="utf-8")
    assert "enable_user_dict: false" in text
    assert (rime.cache_dir / "build" / "luna_pinyin_simp.schema.yaml").is_file()
