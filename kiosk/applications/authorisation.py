"""帮办代办's 授权委托书 signed on the touchscreen: the letter's text with the principal's finger signature, drawn
as one PNG (Pillow and the CJK font, like the 样表 of kiosk.catalog.samples) and supplied as the authorisation
material's file — the platform receives a letter it can read, not a bare squiggle."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image, ImageDraw

from drivers.identity import Identity
from kiosk.catalog.samples import _font, _wrap

WIDTH, MARGIN = 1240, 90
INK = (0, 0, 0)


def letter_text(principal: Identity, agent: Identity, title: str) -> str:
    """The letter's body in full (the masked form is for the screen: :func:`kiosk.privacy.mask_name`)."""
    return (f"委托人{principal.name}（证件号码{principal.id_number}）委托{agent.name}（证件号码{agent.id_number}）"
            f"代为办理“{title}”。代办人在办理过程中提交的材料和所作的陈述，委托人均予以认可。")


def signed_letter(principal: Identity, agent: Identity, title: str, signature_png: bytes, today: dt.date) -> bytes:
    """The 授权委托书 as a PNG: title, body, the principal's signature and the date."""
    title_font, body = _font(56), _font(36)
    lines = _wrap(letter_text(principal, agent, title), body, WIDTH - 2 * MARGIN)
    signature = Image.open(io.BytesIO(signature_png)).convert("RGBA")
    signature.thumbnail((WIDTH - 2 * MARGIN - 300, 260))
    height = MARGIN * 2 + 120 + 56 * len(lines) + 60 + max(signature.height, 60) + 100
    page = Image.new("RGB", (WIDTH, height), "white")
    pen = ImageDraw.Draw(page)
    pen.text((WIDTH // 2, MARGIN + 30), "授权委托书", font=title_font, fill=INK, anchor="mm")
    y = MARGIN + 120
    for line in lines:
        pen.text((MARGIN, y), line, font=body, fill=INK)
        y += 56
    y += 60
    pen.text((MARGIN, y + 10), "委托人（签字）：", font=body, fill=INK)
    page.paste(signature, (MARGIN + 300, y), signature)
    y += max(signature.height, 60) + 30
    pen.text((MARGIN, y), f"日期：{today.year}年{today.month}月{today.day}日", font=body, fill=INK)
    out = io.BytesIO()
    page.save(out, "PNG")
    return out.getvalue()
