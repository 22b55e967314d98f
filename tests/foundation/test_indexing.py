"""kiosk.services.Indexing: the search index is built once, on its own thread, and whoever needs it waits for it."""

from __future__ import annotations

import threading

import pytest

from kiosk.services import Indexing


def test_built_once_on_a_worker_thread_and_shared():
    built: list[str] = []
    release = threading.Event()

    def build() -> object:
        release.wait(5)
        built.append(threading.current_thread().name)
        return object()

    indexing = Indexing(build)
    indexing.start()
    indexing.start()  # the app's first frame and a test may both start it
    release.set()
    first = indexing.get()
    assert indexing.get() is first
    assert built == ["search-index"]


def test_get_starts_the_build_when_nobody_did():
    indexing = Indexing(lambda: "index")
    assert indexing.get() == "index"


def test_a_failed_build_is_raised_to_every_user():
    def build() -> object:
        raise ValueError("catalog item without a name")

    indexing = Indexing(build)
    for _ in range(2):
        with pytest.raises(ValueError, match="without a name"):
            indexing.get()
