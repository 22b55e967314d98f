"""Voice guidance: each step's prompt spoken in Mandarin (or English), offline, with Debian's espeak-ng.

Prompts are generic instructions, never personal data, so they can be cached as WAV files under
``<data-dir>/voice/<lang>/<sha1>.wav``: synthesised once, played many times. Synthesis runs off the UI thread;
a machine without espeak-ng or without an audio device simply stays silent (``available`` says which).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

VOICES = {"zh_CN": "cmn", "en": "en-us"}
_RATE = {"normal": 165, "elder": 135}  # words per minute: slower for elder mode


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
        digest = hashlib.sha1(f"{lang}|{elder}|{text}".encode()).hexdigest()[:20]
        return self.cache_dir / lang / f"{digest}.wav"

    def synthesize(self, text: str, lang: str, elder: bool = False) -> Path | None:
        """The cached WAV for ``text`` (made now if missing); None when espeak-ng is unavailable or fails."""
        path = self.path_for(text, lang, elder)
        if path.exists() and path.stat().st_size > 44:
            return path
        if not self.available:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        command = [self.executable, "-v", VOICES.get(lang, "cmn"), "-s", str(_RATE["elder" if elder else "normal"]),
                   "-w", str(partial), text]
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
