"""What the resident-facing screens use beside the core: the catalog's search index and the voice guide.

The journey, the catalog, the devices and the platform belong to the core (``kiosk.core.Kiosk``): the desk reads
them through it, so a hardware restart or a new catalog never leaves a screen holding an old one. The screens
decide what to offer from the journey (``journey.ready(role, capability)``), never from a device's name or class.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.voice import VoiceGuide

if TYPE_CHECKING:
    from kiosk.catalog import Catalog
    from kiosk.catalog.search import SearchIndex
    from kiosk.core import Kiosk
    from kiosk.journey import Journey

log = logging.getLogger(__name__)


class Indexing:
    """The catalog's search index, built on a worker thread once ``start()`` is called: the app calls it after its
    first frame, because pypinyin's tables and the index take about half a second the home screen does not need.
    ``get()`` waits for the build (starting it if nobody did), so the first search finds it ready or nearly so."""

    def __init__(self, build: Callable[[], SearchIndex]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._index: SearchIndex | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            self._index = self._build()
        except BaseException as error:  # raised again to whoever needs the index
            log.exception("the search index could not be built")
            self._error = error

    def get(self) -> SearchIndex:
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._index is not None
        return self._index


class ResidentDesk:
    """The resident screens' view of the core plus what only they need: the search index and the voice."""

    def __init__(self, core: Kiosk, voice: VoiceGuide | None = None) -> None:
        self.core = core
        self.voice = voice or VoiceGuide(core.data_dir / "voice")
        self.indexing = Indexing(self._build_index)

    @property
    def catalog(self) -> Catalog:
        return self.core.catalog

    @property
    def journey(self) -> Journey:
        return self.core.journey

    @property
    def index(self) -> SearchIndex:
        return self.indexing.get()

    def _build_index(self) -> SearchIndex:
        from kiosk.catalog.search import SearchIndex
        from kiosk.catalog.uses import FILE_NAME, UseCounts

        return SearchIndex(self.catalog, uses=UseCounts(self.core.data_dir / FILE_NAME))  # ranking survives restarts
