"""The kiosk's side of the fleet console (docs/console.md): each heartbeat also goes to the operators' console.

``[fleet] console_url`` says where: ``http(s)://host:port`` posts the platform's heartbeat contract
(``POST /v1/kiosks/{id}/heartbeat``, bearer token); ``mqtt://host:port`` publishes it (QoS 1) to
``tongban/heartbeat/<id>`` as ``{"kiosk_id", "token", "heartbeat"}``, for large fleets. ``console_token_file``
holds the token ``kiosk fleet console-kiosk`` printed (one line, mode 0600). Sending is best effort: a console
that is down never delays or fails the platform heartbeat, and its own failure is logged once per outage.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

log = logging.getLogger(__name__)

TOPIC = "tongban/heartbeat/{kiosk_id}"


class ConsoleLinkError(Exception):
    pass


class ConsoleLink:
    def __init__(self, url: str, kiosk_id: str, token: str, timeout_s: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "mqtt") or not parts.hostname:
            raise ConsoleLinkError(f"console_url must be http(s):// or mqtt://HOST:PORT, got {url!r}")
        if not token or not kiosk_id:
            raise ConsoleLinkError("the console needs this kiosk's id and token (fleet.console_token_file)")
        self.url, self.kiosk_id, self._token, self.timeout_s = url.rstrip("/"), kiosk_id, token, timeout_s
        self._scheme = parts.scheme
        self._mqtt: Any = None
        self._session: Any = None
        self._lock = threading.Lock()
        self._connected = threading.Event()  # MQTT: the broker accepted us (paho reconnects by itself)
        self._failing = False

    def __repr__(self) -> str:  # never the token
        return f"ConsoleLink({self.url!r}, {self.kiosk_id!r})"

    @classmethod
    def from_settings(cls, settings: Any) -> ConsoleLink | None:
        """None when ``fleet.console_url`` is empty; ConsoleLinkError when the token file is unreadable."""
        fleet = settings.fleet
        if not fleet.console_url:
            return None
        try:
            token = Path(fleet.console_token_file).read_text("utf-8").strip() if fleet.console_token_file else ""
        except OSError as error:
            raise ConsoleLinkError(f"fleet.console_token_file unreadable: {error.strerror}") from None
        return cls(fleet.console_url, settings.kiosk.id, token)

    def send(self, body: dict[str, Any]) -> bool:
        """Send one heartbeat body; False (logged once per outage) when the console did not take it."""
        try:
            with self._lock:
                self._send_mqtt(body) if self._scheme == "mqtt" else self._send_http(body)
        except Exception as error:
            if not self._failing:
                log.warning("fleet console %s did not take the heartbeat: %s", self.url, error)
            self._failing = True
            return False
        if self._failing:
            log.info("fleet console %s takes heartbeats again", self.url)
        self._failing = False
        return True

    def _send_http(self, body: dict[str, Any]) -> None:
        import requests

        if self._session is None:
            self._session = requests.Session()
            self._session.headers.update({"Authorization": f"Bearer {self._token}", "X-Kiosk-Id": self.kiosk_id})
        answer = self._session.post(
            f"{self.url}/v1/kiosks/{quote(self.kiosk_id, safe='')}/heartbeat", json=body, timeout=self.timeout_s
        )
        if answer.status_code != 204:
            raise ConsoleLinkError(f"HTTP {answer.status_code}")

    def _send_mqtt(self, body: dict[str, Any]) -> None:
        import paho.mqtt.client as mqtt

        if self._mqtt is None:
            parts = urlsplit(self.url)
            self._mqtt = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"tongban-{self.kiosk_id}")
            self._mqtt.reconnect_delay_set(min_delay=1, max_delay=60)
            self._mqtt.on_connect = lambda *args: self._connected.set() if not args[3].is_failure else None
            self._mqtt.on_disconnect = lambda *_args: self._connected.clear()
            self._mqtt.connect_async(parts.hostname, parts.port or 1883, keepalive=60)
            self._mqtt.loop_start()
        if not self._connected.wait(self.timeout_s):  # never queue heartbeats in memory during an outage
            raise ConsoleLinkError("the MQTT broker is unreachable")
        envelope = {"kiosk_id": self.kiosk_id, "token": self._token, "heartbeat": body}
        info = self._mqtt.publish(TOPIC.format(kiosk_id=self.kiosk_id), json.dumps(envelope), qos=1)
        info.wait_for_publish(self.timeout_s)
        if not info.is_published():
            raise ConsoleLinkError("the MQTT broker did not acknowledge the heartbeat")

    def close(self) -> None:
        if self._mqtt is not None:
            self._mqtt.disconnect()
            self._mqtt.loop_stop()
            self._mqtt = None
        if self._session is not None:
            self._session.close()
            self._session = None
