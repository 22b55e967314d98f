"""Voice guidance: each screen's prompt spoken in Mandarin with its tones (or English), offline, with Debian's
espeak-ng.

espeak-ng's ``cmn`` voice reads Han characters with a small dictionary and reads tone digits in English
("qing-three"); its ``cmn-latn-pinyin`` voice speaks tone-numbered pinyin with the tones. So a Chinese prompt is
first converted to tone-numbered pinyin with pypinyin (its phrase dictionary picks the reading of polyphonic
characters in context: 重新 chong2, 银行 hang2), numbers to their Chinese readings (digit by digit for codes
and phone numbers), punctuation to pauses (:func:`to_pinyin`), and that text is spoken by ``cmn-latn-pinyin``.

Prompts are generic instructions, never personal data, so they can be cached as WAV files under
``<data-dir>/voice/<lang>/<sha1>.wav``: synthesised once, played many times. Synthesis runs off the UI thread;
a machine without espeak-ng or without an audio device simply stays silent (``available`` says which).
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

VOICES = {"zh_CN": "cmn-latn-pinyin", "en": "en-us"}
_RATE = {"normal": 150, "elder": 120}  # words per minute: slower for elder mode
_DIGITS = "零一二三四五六七八九"
_PHONE_DIGITS = "零幺二三四五六七八九"  # 1 is 幺 when digits are read one by one (12345, 110)
_PAUSE = {"，": ",", "、": ",", "；": ",", "：": ",", "。": ".", "！": ".", "？": "?", "…": ".", "（": ",",
          "）": ",", "“": "", "”": "", "《": "", "》": "", "—": ","}  # fmt: skip


def _number(digits: str) -> str:
    """Chinese reading of a number: up to 2 digits as a quantity (第12步 → 十二), longer ones (hotlines 12345 and
    110, years, codes) digit by digit with 1 as 幺, as people say them."""
    if len(digits) > 2 or (len(digits) > 1 and digits[0] == "0"):
        return "".join(_PHONE_DIGITS[int(d)] for d in digits)
    tens, ones = divmod(int(digits), 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def to_pinyin(text: str) -> str:
    """Tone-numbered pinyin for ``cmn-latn-pinyin`` (neutral tone 5, ü as v); other text (TB, K0001) is kept."""
    from pypinyin import Style, lazy_pinyin

    text = re.sub(r"\d+", lambda m: _number(m.group()), text)
    text = "".join(_PAUSE.get(ch, ch) for ch in text)
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)  # other text kept
    words = " ".join(s.strip() for s in syllables if s.strip())
    return re.sub(r"\s+([,.?])", r"\1", words)


class VoiceGuide:
    def __init__(self, cache_dir: Path, executable: str | None = None) -> None:
        self.cache_dir = cache_dir
        self.executable = executable or shutil.which("espeak-ng")
        self.muted = False
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.executable is not None

    def path_for(self, text: str, lang: str, elder: bool = False) -> Path:
        digest = hashlib.sha1(f"{VOICES.get(lang)}|{lang}|{elder}|{text}".encode()).hexdigest()[:20]
        return self.cache_dir / lang / f"{digest}.wav"

    @staticmethod
    def spoken(text: str, lang: str) -> str:
        """What espeak-ng is given: pinyin with tone digits for Chinese, the text itself otherwise."""
        return to_pinyin(text) if lang == "zh_CN" else text

    def synthesize(self, text: str, lang: str, elder: bool = False, out: Path | None = None) -> Path | None:
        """The cached WAV for ``text`` (made now if missing), or ``out`` when given; None when espeak-ng is
        unavailable or fails."""
        path = out or self.path_for(text, lang, elder)
        if out is None and path.exists() and path.stat().st_size > 44:
            return path
        if not self.available:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        command = [str(self.executable), "-v", VOICES.get(lang, VOICES["zh_CN"]),
                   "-s", str(_RATE["elder" if elder else "normal"]), "-w", str(partial), "--", self.spoken(text, lang)]
        with self._lock:
            try:
                subprocess.run(command, check=True, capture_output=True, timeout=20)
            except (OSError, subprocess.SubprocessError) as error:
                log.warning("espeak-ng failed: %s", type(error).__name__)
                partial.unlink(missing_ok=True)
                return None
            partial.replace(path)
        return path

    def prepare(self, text: str, lang: str, elder: bool, done: Callable[[Path | None], None]) -> None:
        """Synthesise on a worker thread; ``done(path)`` is called there (the UI moves it to its thread)."""
        if self.muted or not text:
            return
        threading.Thread(target=lambda: done(self.synthesize(text, lang, elder)), name="voice", daemon=True).start()
