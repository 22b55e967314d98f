"""Logs are JSON lines and never carry personal data in the clear."""

from __future__ import annotations

import json
import logging

from drivers.identity import CardType, Identity, Source
from kiosk.logs import recent_lines, redact, setup

ID = "110101199003071234"
PHONE = "13800138000"


def test_logged_identity_comes_out_masked(tmp_path):
    path = setup(tmp_path, "DEBUG")
    log = logging.getLogger("tongban.test")
    person = Identity(Source.ID_CARD, CardType.RESIDENT, "张小明", ID)
    marked = {"person_name": "张小明", "id_number": ID}
    log.info("read card of %s, number %s, phone %s", person, ID, PHONE, extra=marked)
    try:
        raise ValueError(f"platform refused {ID}")
    except ValueError:
        log.exception("submit failed", extra={"phone": PHONE})
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text("utf-8")
    assert ID not in text and PHONE not in text and "张小明" not in text
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["level"] == "INFO" and first["person_name"] == "张*明"
    assert first["id_number"] == "110101********1234"
    assert "138****8000" in first["message"]
    assert "110101********1234" in second["exception"] and second["phone"] == "138****8000"
    assert len(recent_lines(tmp_path, 1)) == 1


def test_redact_leaves_ordinary_numbers_alone():
    assert redact("outbox depth 12, job 20261122-0001") == "outbox depth 12, job 20261122-0001"
    assert redact(f"id={ID}X") == f"id={ID}X"  # 19 characters is not an ID number
    assert redact("11010119900307123X") == "110101********123X"
