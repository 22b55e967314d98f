"""Voice that is Mandarin: prompts become tone-numbered pinyin spoken by espeak-ng's cmn-latn-pinyin voice (real
espeak-ng; sox measures the audio), and `kiosk voice say` writes the WAV."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.voice import VOICES, VoiceGuide, to_pinyin

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (Makefile DEB_PACKAGES)")


@pytest.mark.parametrize(
    "text, pinyin",
    [
        ("请把身份证放在读卡区", "qing3 ba3 shen1 fen4 zheng4 fang4 zai4 du2 ka3 qu1"),
        ("重新打印，银行卡", "chong2 xin1 da3 yin4, yin2 hang2 ka3"),  # polyphones read in context
        ("您好！请问需要什么帮助？", "nin2 hao3. qing3 wen4 xu1 yao4 shen2 me5 bang1 zhu4?"),  # neutral tone 5
        ("拨打12345或110", "bo1 da3 yao1 er4 san1 si4 wu3 huo4 yao1 yao1 ling2"),  # hotlines digit by digit
        ("第3步，共12件", "di4 san1 bu4, gong4 shi2 er4 jian4"),
        ("绿色通道", "lv4 se4 tong1 dao4"),
    ],
)
def test_prompts_become_tone_numbered_pinyin(text, pinyin):
    assert to_pinyin(text) == pinyin


@given(st.text(max_size=40))
def test_any_text_converts(text):
    assert isinstance(to_pinyin(text), str)


def ipa(voice: str, text: str) -> str:
    done = subprocess.run(["espeak-ng", "-v", voice, "-q", "--ipa", "--", text], capture_output=True, text=True,
                          timeout=30, check=True)  # fmt: skip
    return done.stdout


@needs_espeak
def test_the_pinyin_voice_speaks_tones_where_cmn_reads_digits_in_english():
    spoken = VoiceGuide.spoken("请扫码", "zh_CN")
    assert spoken == "qing3 sao3 ma3" and VOICES["zh_CN"] == "cmn-latn-pinyin"
    assert "θɹ" in ipa("cmn", spoken)  # Debian's cmn voice: "qing-three"
    phonemes = ipa("cmn-latn-pinyin", spoken)
    assert "θɹ" not in phonemes and "(en)" not in phonemes
    # the same syllable in two tones gives two different pronunciations
    assert ipa("cmn-latn-pinyin", "ma1") != ipa("cmn-latn-pinyin", "ma3")


def duration_s(path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def rms(path) -> float:
    done = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, timeout=30)
    line = next(x for x in done.stderr.splitlines() if x.startswith("RMS     amplitude"))
    return float(line.split(":")[1])


@needs_espeak
def test_kiosk_voice_say_writes_mandarin_audio(tmp_path):
    out = tmp_path / "prompt.wav"
    done = subprocess.run([sys.executable, "-m", "kiosk", "voice", "say", "请把身份证放在读卡区", "--out", str(out)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "qing3 ba3 shen1 fen4 zheng4 fang4 zai4 du2 ka3 qu1"
    # ten syllables at the kiosk's rate: a couple of seconds of speech, not silence, not digits read aloud
    assert 1.5 < duration_s(out) < 6.0
    if shutil.which("sox"):
        assert rms(out) > 0.02
    elder = tmp_path / "elder.wav"
    subprocess.run([sys.executable, "-m", "kiosk", "voice", "say", "请把身份证放在读卡区", "--out", str(elder),
                    "--elder"], check=True, capture_output=True, timeout=60)  # fmt: skip
    assert duration_s(elder) > duration_s(out) * 1.1  # elder mode speaks slower


@needs_espeak
def test_prompts_are_cached_per_voice(tmp_path):
    guide = VoiceGuide(tmp_path)
    first = guide.synthesize("请稍候", "zh_CN")
    assert first is not None and first.stat().st_size > 44
    assert guide.synthesize("请稍候", "zh_CN") == first
    english = guide.synthesize("Please wait", "en")
    assert english is not None and english != first and duration_s(english) > 0.3
