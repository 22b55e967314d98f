"""Optional MQTT nudge: a message on the group's topic means "a new version exists, poll now".

The payload is never trusted for content (anyone on the broker could send one): a nudge only makes the kiosk run
its normal TUF round early. The operator sends one after ``kiosk fleet publish --nudge HOST:PORT``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def parse_broker(broker: str) -> tuple[str, int]:
    host, _, port = broker.rpartition(":")
    if not host:
        return broker, 1883
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        raise ValueError(f"broker must be HOST or HOST:PORT, got {broker!r}") from None


def topic_for(template: str, group: str) -> str:
    return template.replace("{group}", group)


class MqttNudge:
    """Subscribes to ``topic`` on ``broker`` (HOST:PORT) and calls ``on_nudge()`` for each message."""

    def __init__(self, broker: str, topic: str, on_nudge: Callable[[], object], client_id: str = "") -> None:
        import paho.mqtt.client as mqtt

        self.host, self.port = parse_broker(broker)
        self.topic = topic
        self._on_nudge = on_nudge
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self._client.on_connect = self._connected
        self._client.on_message = self._message
        self._client.reconnect_delay_set(min_delay=1, max_delay=120)
        self.subscribed = False

    def _connected(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            log.warning("MQTT nudge broker %s:%s refused the connection: %s", self.host, self.port, reason_code)
            return
        client.subscribe(self.topic, qos=1)  # on every (re)connect, so a broker restart does not lose the topic
        self.subscribed = True

    def _message(self, _client, _userdata, message) -> None:
        log.info("fleet nudge on %s (%d bytes); polling now", message.topic, len(message.payload))
        try:
            self._on_nudge()
        except Exception:
            log.exception("fleet nudge handler failed")

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=60)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def send_nudge(broker: str, topic: str, group: str, version: int, timeout_s: float = 10.0) -> None:
    """Publish one nudge (QoS 1) and wait until the broker has it."""
    import paho.mqtt.client as mqtt

    host, port = parse_broker(broker)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect(host, port, keepalive=30)
    client.loop_start()
    try:
        info = client.publish(topic, json.dumps({"group": group, "version": version}), qos=1)
        info.wait_for_publish(timeout_s)
        if not info.is_published():
            raise TimeoutError(f"MQTT broker {broker} did not acknowledge the nudge within {timeout_s} s")
    finally:
        client.disconnect()
        client.loop_stop()
