"""Many simulated kiosks sending heartbeats to a console over HTTP/1.1 keep-alive (asyncio, stdlib only).

For the bench (bench/console_ingest.py), the tests and demos: ``register`` gives each kiosk a token in the
console's database, ``heartbeat`` builds a body of the platform contract, ``blast`` sends from ``connections``
concurrent connections for a while and counts the answers by status.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


def kiosk_ids(count: int, prefix: str = "SIM") -> list[str]:
    return [f"{prefix}{n:05d}" for n in range(count)]


def token_of(kiosk_id: str) -> str:
    return f"sim-token-{kiosk_id}-0123456789abcdef"


def register(store: Any, ids: list[str], group: str = "all", site: str = "sim") -> None:
    store.add_kiosks([(kiosk_id, group, site, token_of(kiosk_id)) for kiosk_id in ids])


def heartbeat(**changes: Any) -> dict[str, Any]:
    """A healthy kiosk's heartbeat; keyword arguments replace or add fields."""
    body: dict[str, Any] = {
        "at": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "software_version": "0.1.0",
        "config_version": "local",
        "devices": {
            "idcard": {"state": "online", "ready": True, "unstable": False, "warnings": []},
            "printer": {"state": "online", "ready": True, "unstable": False, "warnings": []},
            "sscard": {"state": "online", "ready": True, "unstable": False, "warnings": []},
            "camera": {"state": "online", "ready": True, "unstable": False, "warnings": []},
        },
        "outbox_depth": 0,
    }
    body.update(changes)
    return body


def request_bytes(host: str, kiosk_id: str, body: dict[str, Any]) -> bytes:
    data = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"POST /v1/kiosks/{kiosk_id}/heartbeat HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {token_of(kiosk_id)}\r\nX-Kiosk-Id: {kiosk_id}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def _connection(
    url: str, ids: list[str], make: Callable[[str], dict[str, Any]], deadline: float, counts: Counter[int], limit: int
) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    host = parts.netloc
    try:
        n = 0
        while time.monotonic() < deadline and (not limit or sum(counts.values()) < limit):
            kiosk_id = ids[n % len(ids)]
            n += 1
            writer.write(request_bytes(host, kiosk_id, make(kiosk_id)))
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            counts[int(status_line.split()[1])] += 1
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:  # the server may reset an idle keep-alive connection first
            pass


def blast(
    url: str,
    ids: list[str],
    *,
    seconds: float = 5.0,
    connections: int = 32,
    total: int = 0,
    make: Callable[[str], dict[str, Any]] | None = None,
) -> tuple[Counter[int], float]:
    """Send heartbeats for ``seconds`` (or until ``total``): (answers by status, elapsed seconds)."""
    template = heartbeat()
    maker = make or (lambda _kiosk_id: template)
    counts: Counter[int] = Counter()
    share = [ids[i::connections] for i in range(connections) if ids[i::connections]]

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_connection(url, part, maker, deadline, counts, total) for part in share))

    started = time.perf_counter()
    try:
        import uvloop  # the [console] extra has it; the plain asyncio loop costs the client a third more CPU

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
    return counts, time.perf_counter() - started
