"""A fleet repository made by the operator commands, served by a loopback HTTP server that can misbehave."""

from __future__ import annotations

import functools
import http.server
import socket
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.fleet import FleetRepo, FleetUpdater, current_layer, pack
from kiosk.fleet import bundle as bundle_module
from tests.mqtt_broker import mosquitto  # noqa: F401  (a fixture offered to the fleet tests)

Fault = Callable[[http.server.BaseHTTPRequestHandler, bytes], bool]  # True: the fault answered the request


class _Handler(http.server.SimpleHTTPRequestHandler):
    faults: dict[str, Fault]

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        for needle, fault in list(self.server.faults.items()):  # type: ignore[attr-defined]
            if needle in self.path:
                path = Path(self.translate_path(self.path))
                body = path.read_bytes() if path.is_file() else b""
                if fault(self, body):
                    return
        super().do_GET()


def drop_midway(handler: http.server.BaseHTTPRequestHandler, body: bytes) -> bool:
    """Announce the whole file, send half of it, then cut the connection."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body[: len(body) // 2])
    handler.wfile.flush()
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)
    return True


class RepoServer:
    def __init__(self, root: Path) -> None:
        handler = functools.partial(_Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.faults = {}  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def faults(self) -> dict[str, Fault]:
        return self.httpd.faults  # type: ignore[attr-defined]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class AuditLog:
    """Stands in for ``AuditTrail.record``: ``audit(kind, **fields)``."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, **fields: Any) -> None:
        self.records.append((kind, fields))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.records]

    def last(self, kind: str) -> dict[str, Any]:
        matches = [fields for k, fields in self.records if k == kind]
        assert matches, f"no {kind} audit record in {self.kinds()}"
        return matches[-1]

    def clear(self) -> None:
        self.records.clear()


def write_bundle_dir(folder: Path, version: int, note: str = "", settings: str = "", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = f'version = {version}\nnote = "{note or f"test bundle v{version}"}"\n{extra}\n'
    for line in settings.splitlines():  # written like a site file; in a bundle the tables sit under [settings]
        if line.startswith("[["):
            line = "[[settings." + line[2:]
        elif line.startswith("["):
            line = "[settings." + line[1:]
        text += line + "\n"
    (folder / "bundle.toml").write_text(text, "utf-8")
    return folder


def raw_tar(folder: Path, out: Path) -> Path:
    """A tar of ``folder`` without ``pack``'s validation: what a careless or hostile operator could publish."""
    with tarfile.open(out, "w") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    return out


class Fleet:
    """The operator's repository, its server, and kiosks following group ``pilot``."""

    drop_midway = staticmethod(drop_midway)
    write_bundle_dir = staticmethod(write_bundle_dir)
    raw_tar = staticmethod(raw_tar)
    AuditLog = AuditLog

    def __init__(self, tmp: Path, server_factory: Callable[[Path], RepoServer]) -> None:
        self.tmp = tmp
        self.repo = FleetRepo.init(tmp / "repo")
        self.trusted_root = tmp / "install-root.json"  # shipped in the kiosk image at install time
        self.trusted_root.write_bytes((self.repo.metadata_dir / "1.root.json").read_bytes())
        self.server = server_factory(self.repo.path)
        self.audit = AuditLog()
        self.session = False
        self._count = 0

    def bundle(self, version: int, settings: str = "", extra: str = "", validate: bool = True) -> Path:
        self._count += 1
        folder = write_bundle_dir(self.tmp / f"src-{self._count}", version, settings=settings, extra=extra)
        out = self.tmp / f"bundle-{self._count}.tar"
        if validate:
            pack(folder, out)
            return out
        return raw_tar(folder, out)

    def publish(self, version: int, settings: str = "", group: str = "pilot", **kwargs: Any) -> Path:
        path = self.bundle(version, settings)
        self.repo.publish(group, path, **kwargs)
        return path

    def kiosk(self, name: str = "k1", **kwargs: Any) -> FleetUpdater:
        kwargs.setdefault("audit", self.audit)
        kwargs.setdefault("session_active", lambda: self.session)
        return FleetUpdater(self.tmp / name, self.server.url, "pilot", self.trusted_root, **kwargs)

    def running(self, name: str = "k1") -> int | None:
        layer = current_layer(self.tmp / name)
        return None if layer is None else int(layer.source.removeprefix("fleet bundle v"))

    def target_file(self, group: str = "pilot") -> Path:
        info = {g.group: g for g in self.repo.groups()}[group]
        return self.repo.targets_dir / "groups" / group / f"{info.sha256}.bundle.tar"


@pytest.fixture
def serve() -> Iterator[Callable[[Path], RepoServer]]:
    servers: list[RepoServer] = []

    def start(root: Path) -> RepoServer:
        server = RepoServer(root)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(autouse=True)
def no_catalog_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests here do not depend on whether the catalog engine is installed; its hook is tested on its own."""
    monkeypatch.setattr(bundle_module, "catalog_loader", lambda: None)


@pytest.fixture
def fleet(tmp_path: Path, serve: Callable[[Path], RepoServer]) -> Fleet:
    return Fleet(tmp_path, serve)


@pytest.fixture
def fleet_bundle_dir() -> Callable[..., Path]:
    """Write a bundle folder whose ``bundle.toml`` is exactly the header plus ``body``."""

    def make(folder: Path, version: int, body: str = "") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "bundle.toml").write_text(f'version = {version}\nnote = "bundle v{version}"\n{body}', "utf-8")
        return folder

    return make
