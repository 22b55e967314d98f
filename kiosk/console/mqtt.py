"""Heartbeats over MQTT, for fleets too large for one HTTP request per kiosk per minute.

A kiosk publishes (QoS 1) to ``tongban/heartbeat/<kiosk_id>`` the envelope
``{"kiosk_id": …, "token": …, "heartbeat": {…}}``; the console subscribes to ``tongban/heartbeat/+`` with a
persistent session, so heartbeats sent while it restarts wait in the broker. The console checks the token and the
heartbeat exactly as for HTTP: the broker's access control is a second fence (only the console's account should
read ``tongban/heartbeat/#``; each kiosk's account should write only its own topic), not the only one.
A refused message is logged (kiosk id and reason only) and dropped: MQTT has no answer to send.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from kiosk.console import heartbeat
from kiosk.console.ingest import Busy, Ingest
from kiosk.console.store import Store

log = logging.getLogger(__name__)

TOPIC = "tongban/heartbeat/+"


def refusal(store: Store, topic: str, payload: bytes) -> tuple[str, dict[str, Any] | None, str]:
    """(kiosk id, valid heartbeat, "") or (kiosk id, None, reason)."""
    kiosk_id = topic.rsplit("/", 1)[-1]
    if len(payload) > heartbeat.MAX_BODY:
        return kiosk_id, None, "too large"
    try:
        envelope = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return kiosk_id, None, "not UTF-8 JSON"
    if not isinstance(envelope, dict) or not isinstance(envelope.get("heartbeat"), dict):
        return kiosk_id, None, "not a heartbeat envelope"
    token = envelope.get("token")
    if envelope.get("kiosk_id") != kiosk_id or not isinstance(token, str):
        return kiosk_id, None, "kiosk id does not match the topic"
    if not store.check_kiosk_token(kiosk_id, token):
        return kiosk_id, None, "bad device token"
    errors = heartbeat.validate(envelope["heartbeat"])
    if errors:
        return kiosk_id, None, "invalid heartbeat: " + ", ".join(sorted(errors))
    return kiosk_id, envelope["heartbeat"], ""


class MqttIngest:
    def __init__(self, broker: str, store: Store, ingest: Ingest, topic: str = TOPIC, client_id: str = "") -> None:
        import paho.mqtt.client as mqtt

        from kiosk.fleet.nudge import parse_broker

        self.host, self.port = parse_broker(broker)
        self.store, self.ingest, self.topic = store, ingest, topic
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "tongban-console", clean_session=False
        )
        self._client.on_connect = self._connected
        self._client.on_message = self._message
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.subscribed = False
        self.refused = 0

    def _connected(self, client: Any, _userdata: Any, _flags: Any, reason_code: Any, _properties: Any) -> None:
        if reason_code.is_failure:
            log.error("MQTT broker %s:%s refused the console: %s", self.host, self.port, reason_code)
            return
        client.subscribe(self.topic, qos=1)
        self.subscribed = True
        log.info("console subscribed to %s on %s:%s", self.topic, self.host, self.port)

    def _message(self, _client: Any, _userdata: Any, message: Any) -> None:
        kiosk_id, body, reason = refusal(self.store, message.topic, message.payload)
        if body is None:
            self.refused += 1
            log.warning("MQTT heartbeat from %r refused: %s", kiosk_id[:64], reason)
            return
        while True:  # the broker waits for our ack meanwhile: natural back-pressure
            try:
                self.ingest.submit(kiosk_id, body).result(timeout=60)
                return
            except Busy:
                time.sleep(0.1)
            except Exception as error:
                log.error("MQTT heartbeat from %s not stored: %s", kiosk_id, error)
                return

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
