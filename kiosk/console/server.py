"""``kiosk fleet console``: the store, the ingest thread, webhooks, MQTT and the web app under uvicorn."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from kiosk.console.alerts import Thresholds
from kiosk.console.ingest import Ingest
from kiosk.console.mqtt import TOPIC, MqttIngest
from kiosk.console.store import Store
from kiosk.console.web import Console
from kiosk.console.webhooks import Notifier

log = logging.getLogger(__name__)


@dataclass
class Options:
    db: str
    host: str = "127.0.0.1"
    port: int = 8780
    repo: Path | None = None
    retention_days: float = 30.0
    webhooks: dict[str, str] = field(default_factory=dict)
    webhook_rate: int = 10  # per rule per minute
    mqtt_broker: str = ""
    mqtt_topic: str = TOPIC
    limits: Thresholds = field(default_factory=Thresholds)
    secure_cookies: bool = False


class ConsoleService:
    """Everything the console runs; ``run()`` blocks (the command), ``start()``/``stop()`` use a thread (tests)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.store = Store(options.db, options.limits)
        self.notifier = Notifier(options.webhooks, rate=options.webhook_rate)
        self.ingest = Ingest(self.store, retention_s=options.retention_days * 86400, notify=self.notifier)
        self.console = Console(self.store, self.ingest, repo=options.repo, secure_cookies=options.secure_cookies)
        self.mqtt = (
            MqttIngest(options.mqtt_broker, self.store, self.ingest, options.mqtt_topic)
            if options.mqtt_broker
            else None
        )
        self.socket = socket.create_server((options.host, options.port), reuse_port=False)
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.console.app, log_level="warning", access_log=False, loop="uvloop", http="httptools",
                lifespan="on", timeout_keep_alive=75, server_header=False, interface="asgi3",
            )
        )  # fmt: skip
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def _begin(self) -> None:
        self.notifier.start()
        self.ingest.start()
        if self.mqtt is not None:
            self.mqtt.start()

    def _end(self) -> None:
        if self.mqtt is not None:
            self.mqtt.stop()
        self.ingest.stop()
        self.notifier.stop()
        self.store.close()
        self.socket.close()

    def run(self) -> None:
        """Until SIGTERM or SIGINT: uvicorn shuts down gracefully, then re-raises the signal into these
        handlers (not the default ones), so the ingest thread, webhooks and MQTT also stop cleanly (exit 0)."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda _sig, _frame: None)
        self._begin()
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self._end()

    def start(self) -> ConsoleService:
        self._begin()
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._end()
