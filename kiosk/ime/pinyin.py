"""Pinyin on librime through ctypes: one Rime engine per process (librime's state is process-wide), one
composition per resident.

Rime is driven through ``rime_get_api()`` (the versioned function table its header recommends); the table's
layout is checked against the library's version string before use. Rime's user data folder is a cache under
the kiosk's data folder: the project's patches are written there and Rime deploys into it on first use
(about half a second, off the UI thread). Learning is off (``enable_user_dict: false``): a resident's name
must never surface as a candidate for the next resident.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.ime import ImeUnavailable, load_library

log = logging.getLogger(__name__)

SHARED_DATA = Path("/usr/share/rime-data")
SCHEMA = "luna_pinyin_simp"
_PATCHES = {
    "default.custom.yaml": f"patch:\n  schema_list:\n    - schema: {SCHEMA}\n",
    # No learning (privacy, see above); simplified output is the schema's default switch state.
    f"{SCHEMA}.custom.yaml": "patch:\n  translator/enable_user_dict: false\n",
}
_SESSION = ctypes.c_size_t  # RimeSessionId is uintptr_t


class _Traits(ctypes.Structure):
    _fields_ = [("data_size", ctypes.c_int), ("shared_data_dir", ctypes.c_char_p),
                ("user_data_dir", ctypes.c_char_p), ("distribution_name", ctypes.c_char_p),
                ("distribution_code_name", ctypes.c_char_p), ("distribution_version", ctypes.c_char_p),
                ("app_name", ctypes.c_char_p), ("modules", ctypes.c_void_p), ("min_log_level", ctypes.c_int),
                ("log_dir", ctypes.c_char_p), ("prebuilt_data_dir", ctypes.c_char_p),
                ("staging_dir", ctypes.c_char_p)]  # fmt: skip


class _Candidate(ctypes.Structure):
    _fields_ = [("text", ctypes.c_char_p), ("comment", ctypes.c_char_p), ("reserved", ctypes.c_void_p)]


class _CandidateIterator(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("index", ctypes.c_int), ("candidate", _Candidate)]


class _Commit(ctypes.Structure):
    _fields_ = [("data_size", ctypes.c_int), ("text", ctypes.c_char_p)]


class _Composition(ctypes.Structure):
    _fields_ = [("length", ctypes.c_int), ("cursor_pos", ctypes.c_int), ("sel_start", ctypes.c_int),
                ("sel_end", ctypes.c_int), ("preedit", ctypes.c_char_p)]  # fmt: skip


class _Menu(ctypes.Structure):
    _fields_ = [("page_size", ctypes.c_int), ("page_no", ctypes.c_int), ("is_last_page", ctypes.c_int),
                ("highlighted_candidate_index", ctypes.c_int), ("num_candidates", ctypes.c_int),
                ("candidates", ctypes.c_void_p), ("select_keys", ctypes.c_char_p)]  # fmt: skip


class _Context(ctypes.Structure):
    _fields_ = [("data_size", ctypes.c_int), ("composition", _Composition), ("menu", _Menu),
                ("commit_text_preview", ctypes.c_char_p), ("select_labels", ctypes.c_void_p)]  # fmt: skip


# RimeApi's members in header order (rime_api.h, librime 1.8); all are function pointers after data_size.
_API_ORDER = (
    "setup set_notification_handler initialize finalize start_maintenance is_maintenance_mode "
    "join_maintenance_thread deployer_initialize prebuild deploy deploy_schema deploy_config_file sync_user_data "
    "create_session find_session destroy_session cleanup_stale_sessions cleanup_all_sessions process_key "
    "commit_composition clear_composition get_commit free_commit get_context free_context get_status free_status "
    "set_option get_option set_property get_property get_schema_list free_schema_list get_current_schema "
    "select_schema schema_open config_open config_close config_get_bool config_get_int config_get_double "
    "config_get_string config_get_cstring config_update_signature config_begin_map config_next config_end "
    "simulate_key_sequence register_module find_module run_task get_shared_data_dir get_user_data_dir "
    "get_sync_dir get_user_id get_user_data_sync_dir config_init config_load_string config_set_bool "
    "config_set_int config_set_double config_set_string config_get_item config_set_item config_clear "
    "config_create_list config_create_map config_list_size config_begin_list get_input get_caret_pos "
    "select_candidate get_version set_caret_pos select_candidate_on_current_page candidate_list_begin "
    "candidate_list_next candidate_list_end user_config_open candidate_list_from_index"
)
_API_MEMBERS = tuple(_API_ORDER.split())


class _RimeApi(ctypes.Structure):
    _fields_ = [("data_size", ctypes.c_int), *((name, ctypes.c_void_p) for name in _API_MEMBERS)]


_P = ctypes.POINTER
_SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {  # ctypes types (restype, argtypes)
    "setup": (None, (_P(_Traits),)),
    "initialize": (None, (_P(_Traits),)),
    "start_maintenance": (ctypes.c_int, (ctypes.c_int,)),
    "join_maintenance_thread": (None, ()),
    "create_session": (_SESSION, ()),
    "destroy_session": (ctypes.c_int, (_SESSION,)),
    "clear_composition": (None, (_SESSION,)),
    "get_commit": (ctypes.c_int, (_SESSION, _P(_Commit))),
    "free_commit": (ctypes.c_int, (_P(_Commit),)),
    "get_context": (ctypes.c_int, (_SESSION, _P(_Context))),
    "free_context": (ctypes.c_int, (_P(_Context),)),
    "set_option": (None, (_SESSION, ctypes.c_char_p, ctypes.c_int)),
    "get_current_schema": (ctypes.c_int, (_SESSION, ctypes.c_char_p, ctypes.c_size_t)),
    "simulate_key_sequence": (ctypes.c_int, (_SESSION, ctypes.c_char_p)),
    "get_input": (ctypes.c_char_p, (_SESSION,)),
    "select_candidate": (ctypes.c_int, (_SESSION, ctypes.c_size_t)),
    "get_version": (ctypes.c_char_p, ()),
    "candidate_list_next": (ctypes.c_int, (_P(_CandidateIterator),)),
    "candidate_list_end": (None, (_P(_CandidateIterator),)),
    "candidate_list_from_index": (ctypes.c_int, (_SESSION, _P(_CandidateIterator), ctypes.c_int)),
}


class _Functions:
    """The RimeApi members the kiosk uses, typed for ctypes."""

    def __init__(self) -> None:
        lib = load_library("librime.so.1", "librime1")
        lib.rime_get_api.restype = _P(_RimeApi)
        table = lib.rime_get_api().contents
        needed = _RimeApi.candidate_list_from_index.offset + ctypes.sizeof(ctypes.c_void_p)
        if table.data_size + ctypes.sizeof(ctypes.c_int) < needed:
            raise ImeUnavailable("this librime is older than 1.8: its API table lacks the members the kiosk uses")
        for name, (restype, argtypes) in _SIGNATURES.items():
            address = getattr(table, name)
            if not address:
                raise ImeUnavailable(f"librime's API table has no {name}")
            setattr(self, name, ctypes.CFUNCTYPE(restype, *argtypes)(address))
        self.version: str = self.get_version().decode()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Page:
    """One page of candidates for the current composition."""

    candidates: tuple[str, ...]
    number: int  # from 0
    has_more: bool


class RimeEngine:
    """librime, set up once per process with its user data under ``cache_dir``. ``start()`` deploys in a
    background thread (never on the UI thread before the first frame); ``composer()`` waits for it."""

    _instance: RimeEngine | None = None
    _instance_lock = threading.Lock()

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._lock = threading.RLock()  # librime sessions are not meant for concurrent calls
        self._ready = threading.Event()
        self._error: ImeUnavailable | None = None
        self._thread: threading.Thread | None = None
        self.api: _Functions | None = None
        self._traits: _Traits | None = None  # librime keeps the pointers: they must live as long as the engine

    @classmethod
    def shared(cls, cache_dir: Path) -> RimeEngine:
        """The process's engine. The first caller's folder wins: librime cannot be set up twice."""
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = cls(cache_dir)
            return cls._instance

    def start(self) -> None:
        """Begin deployment in the background (idempotent)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._deploy, name="rime-deploy", daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = 60.0) -> _Functions:
        self.start()
        if not self._ready.wait(timeout):
            raise ImeUnavailable("the pinyin engine is still preparing its dictionaries")
        if self._error is not None:
            raise self._error
        assert self.api is not None
        return self.api

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._error is None

    def _deploy(self) -> None:
        try:
            self._setup()
        except ImeUnavailable as exc:
            self._error = exc
            log.error("pinyin input unavailable: %s", exc)
        except OSError as exc:
            self._error = ImeUnavailable(f"cannot prepare the pinyin engine's cache: {exc}")
            log.error("pinyin input unavailable: %s", exc)
        finally:
            self._ready.set()

    def _setup(self) -> None:
        if not (SHARED_DATA / f"{SCHEMA}.schema.yaml").is_file():
            raise ImeUnavailable(f"no {SCHEMA} schema in {SHARED_DATA} (Debian package rime-data-luna-pinyin)")
        api = _Functions()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        for name, text in _PATCHES.items():
            path = self.cache_dir / name
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
        traits = _Traits()
        traits.data_size = ctypes.sizeof(_Traits) - ctypes.sizeof(ctypes.c_int)
        traits.shared_data_dir = str(SHARED_DATA).encode()
        traits.user_data_dir = str(self.cache_dir).encode()
        traits.distribution_name = b"Tongban"
        traits.distribution_code_name = b"tongban"
        traits.distribution_version = b"1"
        traits.app_name = b"rime.tongban"
        traits.min_log_level = 2  # errors only: INFO lines could carry what a resident typed
        traits.log_dir = b""  # stderr (the kiosk's journal), never a file in /tmp
        self._traits = traits
        with self._lock:
            api.setup(ctypes.byref(traits))  # type: ignore[attr-defined]
            api.initialize(ctypes.byref(traits))  # type: ignore[attr-defined]
            api.start_maintenance(0)  # type: ignore[attr-defined]  # deploys only what changed
            api.join_maintenance_thread()  # type: ignore[attr-defined]
            probe = api.create_session()  # type: ignore[attr-defined]
            if not probe:
                raise ImeUnavailable("librime could not open a session (deployment failed?)")
            buffer = ctypes.create_string_buffer(64)
            api.get_current_schema(probe, buffer, 64)  # type: ignore[attr-defined]
            api.destroy_session(probe)  # type: ignore[attr-defined]
            if buffer.value.decode() != SCHEMA:
                raise ImeUnavailable(f"librime chose schema {buffer.value.decode()!r}, not {SCHEMA}")
        self.api = api

    def composer(self) -> PinyinComposer:
        return PinyinComposer(self)

    def call(self, name: str, *args: object) -> object:
        api = self.wait()
        with self._lock:
            return getattr(api, name)(*args)


class PinyinComposer:
    """What one resident is composing: letters in, candidates out, a pick commits hanzi (or confirms part
    of a longer input, as phones do: "zhongguoren" → 中国 → 人)."""

    def __init__(self, engine: RimeEngine) -> None:
        self._engine = engine
        self._session = 0

    def _sid(self) -> int:
        if not self._session:
            self._session = int(self._engine.call("create_session"))  # type: ignore[call-overload]
            if not self._session:
                raise ImeUnavailable("librime could not open a session")
            self._engine.call("set_option", self._session, b"zh_simp", 1)
        return self._session

    def close(self) -> None:
        if self._session:
            self._engine.call("destroy_session", self._session)
            self._session = 0

    def type(self, letters: str) -> None:
        """Letters a–z only (the keyboard has no others); anything else is refused."""
        if not letters.isascii() or not letters.isalpha():
            raise ValueError(f"pinyin input takes letters a-z, not {letters!r}")
        self._engine.call("simulate_key_sequence", self._sid(), letters.lower().encode())

    def backspace(self) -> None:
        self._engine.call("simulate_key_sequence", self._sid(), b"{BackSpace}")

    def clear(self) -> None:
        if self._session:
            self._engine.call("clear_composition", self._session)

    @property
    def raw(self) -> str:
        """The letters typed so far in this composition."""
        if not self._session:
            return ""
        value = self._engine.call("get_input", self._session)
        return value.decode() if isinstance(value, bytes) else ""

    @property
    def preedit(self) -> str:
        """What the composition line shows: confirmed hanzi, then the remaining pinyin ("中国 ren")."""
        if not self._session:
            return ""
        context = _Context()
        context.data_size = ctypes.sizeof(_Context) - ctypes.sizeof(ctypes.c_int)
        if not self._engine.call("get_context", self._session, ctypes.byref(context)):
            return ""
        try:
            raw = context.composition.preedit
            return raw.decode() if raw else ""
        finally:
            self._engine.call("free_context", ctypes.byref(context))

    def page(self, number: int, size: int) -> Page:
        """Candidates ``number*size`` to ``number*size + size - 1`` (the kiosk pages by its own bar's size)."""
        if not self._session or size < 1 or number < 0:
            return Page((), max(number, 0), False)
        start = number * size
        iterator = _CandidateIterator()
        found: list[str] = []
        if self._engine.call("candidate_list_from_index", self._session, ctypes.byref(iterator), start):
            while len(found) < size + 1 and self._engine.call("candidate_list_next", ctypes.byref(iterator)):
                text = iterator.candidate.text
                found.append(text.decode() if text else "")
            self._engine.call("candidate_list_end", ctypes.byref(iterator))
        return Page(tuple(found[:size]), number, len(found) > size)

    def pick(self, index: int) -> str:
        """Choose candidate ``index`` (counted over all pages). Returns the committed text, or "" while part
        of the input is still being composed."""
        if not self._session or index < 0:
            return ""
        if not self._engine.call("select_candidate", self._session, index):
            return ""
        commit = _Commit()
        commit.data_size = ctypes.sizeof(_Commit) - ctypes.sizeof(ctypes.c_int)
        if not self._engine.call("get_commit", self._session, ctypes.byref(commit)):
            return ""
        try:
            return commit.text.decode() if commit.text else ""
        finally:
            self._engine.call("free_commit", ctypes.byref(commit))


def candidates(engine: RimeEngine, letters: str, limit: int = 10) -> list[str]:
    """Ranked candidates for ``letters`` (a fresh composition); for the CLI, the bench and support."""
    composer = engine.composer()
    try:
        composer.type(letters)
        return list(composer.page(0, limit).candidates)
    finally:
        composer.close()


def cache_dir(data_dir: Path) -> Path:
    """Rime's user data (the project's patches and what Rime deploys from them) under the kiosk's data folder."""
    return data_dir / "cache" / "rime"
