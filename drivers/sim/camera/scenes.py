"""Synthetic camera scenes, drawn independently of the driver's analysis code.

Each scene renders frames of a given size and reports its ground truth: the document's corners,
the QR payload and its corners, the face's box. QR codes are encoded here with the ``qrcode``
package (the driver decodes with OpenCV), and pages are drawn with Pillow, so a mistake on one
side is not mirrored on the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc")

QR_PAYLOAD_CN = "通办预约:2024-000123 张三 社区服务中心"
QR_PAYLOAD_URL = "https://tongban.example.gov.cn/r/2024000123"


@dataclass
class Scene:
    """A still scene: ``base`` is the noiseless frame, ``truth`` what a perfect reader would report."""

    name: str
    base: np.ndarray
    truth: dict[str, Any] = field(default_factory=dict)
    noise: float = 2.0  # sensor noise, grey levels (σ)


def room(size: tuple[int, int]) -> np.ndarray:
    """A plain wall: a soft vertical gradient, as behind a resident at a kiosk."""
    w, h = size
    ramp = np.linspace(205, 170, h, dtype=np.float32)[:, None, None]
    tint = np.array([1.0, 1.0, 0.95], np.float32)
    return np.broadcast_to(ramp * tint, (h, w, 3)).astype(np.uint8).copy()


def desk(size: tuple[int, int], seed: int = 7) -> np.ndarray:
    """Dark wood: brown with grain, clearly darker than paper."""
    w, h = size
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 1, (1, w)).astype(np.float32)
    grain = cv2.GaussianBlur(noise, (0, 0), 3).repeat(h, axis=0)
    yy = np.arange(h, dtype=np.float32)[:, None]
    wave = 8 * np.sin(yy / 37.0 + np.linspace(0, 6, w, dtype=np.float32)[None, :])
    shade = 1.0 + 0.08 * grain + 0.01 * wave
    base = np.array([45, 75, 110], np.float32)  # BGR brown
    return np.clip(shade[..., None] * base, 0, 255).astype(np.uint8)


def draw_face(img: np.ndarray, cx: int, cy: int, s: int) -> tuple[int, int, int, int]:
    """A shaded face the frontal Haar cascades find: dark eye sockets and brows over bright cheeks,
    a bright nose bridge, shading towards the edges, plus crisp irises and lip line for sharpness.
    ``s`` is roughly the head height in pixels; returns the face box (x, y, w, h)."""
    h, w = img.shape[:2]
    cv2.ellipse(img, (cx, cy - int(0.12 * s)), (int(0.56 * s), int(0.66 * s)), 0, 0, 360, (25, 28, 35), -1, cv2.LINE_AA)
    neck = ((cx - int(0.2 * s), cy + int(0.4 * s)), (cx + int(0.2 * s), cy + int(1.1 * s)))
    cv2.rectangle(img, *neck, (95, 120, 160), -1)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - cx) / (0.44 * s)) ** 2 + ((yy - cy) / (0.58 * s)) ** 2
    mask = cv2.GaussianBlur((r2 <= 1).astype(np.float32), (0, 0), s * 0.01 + 1)
    shade = np.clip(1.0 - 0.45 * r2**1.5, 0.3, 1)

    def blob(x: float, y: float, ax: float, ay: float, depth: float) -> np.ndarray:
        return depth * np.exp(-(((xx - x) / ax) ** 2 + ((yy - y) / ay) ** 2))

    dark = np.zeros_like(xx)
    for side in (-1, 1):
        ex, ey = cx + side * 0.19 * s, cy - 0.1 * s
        dark += blob(ex, ey, 0.13 * s, 0.07 * s, 0.55)  # eye socket
        dark += blob(ex, ey - 0.1 * s, 0.12 * s, 0.03 * s, 0.6)  # brow
        dark += blob(cx + side * 0.05 * s, cy + 0.17 * s, 0.03 * s, 0.02 * s, 0.5)  # nostril
    dark += blob(cx, cy + 0.33 * s, 0.14 * s, 0.035 * s, 0.5)  # mouth
    dark += blob(cx, cy + 0.22 * s, 0.1 * s, 0.03 * s, 0.2)  # shadow under the nose
    lum = np.clip(shade * (1 - dark), 0, 1)
    skin = np.array([140, 170, 215], np.float32)
    m = mask[..., None]
    img[:] = np.clip(img * (1 - m) + lum[..., None] * skin * m, 0, 255).astype(np.uint8)
    for side in (-1, 1):  # crisp details: irises with a highlight, lash line
        ex, ey = int(cx + side * 0.19 * s), int(cy - 0.1 * s)
        cv2.circle(img, (ex, ey), max(2, int(0.035 * s)), (30, 25, 20), -1, cv2.LINE_AA)
        cv2.circle(img, (ex - int(0.01 * s), ey - int(0.01 * s)), max(1, int(0.008 * s)), (230, 230, 230), -1)
        cv2.ellipse(img, (ex, ey), (int(0.07 * s), int(0.03 * s)), 0, 180, 360, (20, 20, 25), 1, cv2.LINE_AA)
    cv2.ellipse(img, (cx, cy + int(0.33 * s)), (int(0.1 * s), int(0.02 * s)), 0, 0, 180, (60, 60, 120), 2, cv2.LINE_AA)
    return (cx - int(0.44 * s), cy - int(0.58 * s), int(0.88 * s), int(1.16 * s))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for path in FONT_PATHS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def page_image(width: int = 840) -> np.ndarray:
    """An A4 certificate: title, lines of Chinese text, a red seal. BGR."""
    height = round(width * 297 / 210)
    page = Image.new("RGB", (width, height), (246, 244, 238))
    draw = ImageDraw.Draw(page)
    title, body = _font(width // 16), _font(width // 34)
    draw.text((width // 2, height // 10), "居住证明", fill=(20, 20, 20), font=title, anchor="mm")
    lines = [
        "兹证明张三同志，身份证号码110101199003071234，",
        "自2019年3月起居住在本社区幸福路18号2单元301室，",
        "至今已满五年，情况属实。",
        "特此证明。",
        "本证明仅用于办理社区通办相关事项，复印无效。",
        "联系电话：010-12345678",
    ]
    y = height // 5
    for line in lines * 2:
        draw.text((width // 10, y), line, fill=(25, 25, 25), font=body)
        y += int(width / 34 * 1.9)
    cx, cy, r = int(width * 0.7), int(height * 0.78), width // 8
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(200, 30, 30), width=max(2, width // 120))
    draw.text((cx, cy), "★", fill=(200, 30, 30), font=_font(width // 14), anchor="mm")
    draw.text((width // 10, int(height * 0.9)), "幸福路社区居民委员会  2024年5月20日", fill=(25, 25, 25), font=body)
    return cv2.cvtColor(np.asarray(page), cv2.COLOR_RGB2BGR)


def id_card_image(width: int = 856) -> np.ndarray:
    """The front of a resident ID card (85.6 × 54 mm): light background, photo, lines of text. BGR."""
    height = round(width * 54 / 85.6)
    card = Image.new("RGB", (width, height), (236, 240, 246))
    draw = ImageDraw.Draw(card)
    body, small = _font(width // 24), _font(width // 32)
    rows = [("姓名", "张三"), ("性别  男", "民族  汉"), ("出生", "1990年3月7日"), ("住址", "北京市朝阳区幸福路18号")]
    y = height // 8
    for label, value in rows:
        draw.text((width // 14, y), label, fill=(60, 90, 140), font=small)
        draw.text((width // 14 + width // 7, y), value, fill=(20, 20, 20), font=body)
        y += height // 7
    draw.text((width // 14, int(height * 0.8)), "公民身份号码  110101199003071234", fill=(20, 20, 20), font=body)
    draw.rectangle((int(width * 0.66), height // 8, int(width * 0.92), int(height * 0.68)), fill=(170, 180, 195))
    draw.ellipse((int(width * 0.72), int(height * 0.2), int(width * 0.86), int(height * 0.45)), fill=(90, 95, 110))
    return cv2.cvtColor(np.asarray(card), cv2.COLOR_RGB2BGR)


def camera_view(
    size: tuple[int, int],
    paper_mm: tuple[float, float] = (210.0, 297.0),
    tilt: float = 40.0,
    turn: float = 0.0,
    fov: float = 60.0,
    fill: float = 0.8,
    offset_mm: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Corners (TL TR BR BL) of a ``paper_mm`` (width, height) sheet on a desk seen by a pinhole camera of
    horizontal field of view ``fov`` (principal point at the centre): the desk turned ``tilt`` degrees away
    from the camera about the horizontal axis (its top edge farther), the sheet turned ``turn`` degrees on
    the desk and moved ``offset_mm``; the camera's distance makes the outline at most ``fill`` of the frame's
    width and height, and the camera slides (parallel to its sensor) to centre it."""
    w, h = size
    focal = w / 2 / np.tan(np.radians(fov) / 2)
    pw, ph = paper_mm
    local = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]], np.float64)
    a = np.radians(turn)
    on_desk = local @ np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]).T + np.array(offset_mm)
    t = np.radians(tilt)

    def project(distance: float, slide: np.ndarray) -> np.ndarray:
        x, y = on_desk[:, 0] - slide[0], on_desk[:, 1] * np.cos(t) - slide[1]
        z = distance - on_desk[:, 1] * np.sin(t)
        return np.stack([w / 2 + focal * x / z, h / 2 + focal * y / z], axis=1)

    distance, slide = focal * max(pw, ph) / (fill * h), np.zeros(2)
    for _ in range(30):  # the outline shrinks about as 1 / distance; the camera slides to centre it
        outline = project(distance, slide)
        low, high = outline.min(axis=0), outline.max(axis=0)
        slide += ((low + high) / 2 - np.array([w / 2, h / 2])) * distance / focal
        distance *= max((high[0] - low[0]) / (fill * w), (high[1] - low[1]) / (fill * h))
    return project(distance, slide).astype(np.float32)


def _lay(frame: np.ndarray, sheet: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The sheet image warped onto the frame at ``corners`` (TL TR BR BL), edges anti-aliased."""
    sh, sw = sheet.shape[:2]
    size = (frame.shape[1], frame.shape[0])
    src = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, corners)
    warped = cv2.warpPerspective(sheet, matrix, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((sh, sw), 255, np.uint8), matrix, size, flags=cv2.INTER_AREA)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    return (frame * (1 - alpha) + warped * alpha).astype(np.uint8)


def tilted_scene(
    size: tuple[int, int],
    kind: str = "a4",
    landscape: bool = False,
    name: str = "document_tilted",
    tilt: float = 50.0,
    turn: float = 6.0,
    fov: float = 60.0,
    fill: float = 0.6,
    offset_mm: tuple[float, float] = (0.0, 0.0),
) -> Scene:
    """An A4 page (``kind="a4"``) or an ID card (``"id_card"``) on the desk seen strongly from the side
    (:func:`camera_view`). A landscape A4 is the portrait page lying sideways. Truth: the corners, the
    sheet's real height / width and the camera's focal length in pixels."""
    sheet, mm = (page_image(), (210.0, 297.0)) if kind == "a4" else (id_card_image(), (85.6, 54.0))
    if landscape:
        sheet, mm = cv2.rotate(sheet, cv2.ROTATE_90_COUNTERCLOCKWISE), (mm[1], mm[0])
    corners = camera_view(size, mm, tilt, turn, fov, fill, offset_mm)
    truth = {
        "document_corners": corners.round(2).tolist(),
        "page_ratio": round(mm[1] / mm[0], 4),
        "focal_px": round(float(size[0] / 2 / np.tan(np.radians(fov) / 2)), 1),
    }
    return Scene(name, _lay(desk(size), sheet, corners), truth)


def document_scene(size: tuple[int, int], scale: float = 0.8, angle: float = 12.0, name: str = "document") -> Scene:
    """An A4 page turned ``angle`` degrees on the desk, seen slightly from the front (the desk tilted 15°
    away from the 60° camera), its outline ``scale`` of the frame high."""
    corners = camera_view(size, (210.0, 297.0), tilt=15.0, turn=angle, fov=60.0, fill=scale)
    frame = _lay(desk(size), page_image(), corners)
    return Scene(name, frame, {"document_corners": corners.round(2).tolist(), "page_ratio": round(297 / 210, 4)})


def glare(scene: Scene) -> Scene:
    """A ceiling light reflected on the page: a blown-out patch."""
    frame = scene.base.copy()
    corners = np.array(scene.truth["document_corners"], np.float32)
    cx, cy = corners.mean(axis=0)
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 0.12 * h
    spot = np.exp(-(((xx - cx - r) / r) ** 2 + ((yy - cy + r * 0.5) / (0.6 * r)) ** 2) * 0.7)
    spot = np.clip(spot * 2.0, 0, 1)[..., None]
    frame = np.clip(frame * (1 - spot) + 255 * spot, 0, 255).astype(np.uint8)
    return Scene("document_glare", frame, scene.truth)


def qr_scene(size: tuple[int, int], payload: str, angle: float = 8.0, name: str = "qr") -> Scene:
    """A phone held up showing a QR code (UTF-8 payload, as phone apps encode it)."""
    w, h = size
    frame = room(size)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    modules = np.array(code.get_matrix(), dtype=np.uint8)
    side = int(0.42 * h)
    px = max(1, side // len(modules))
    side = px * len(modules)
    qr = np.where(np.kron(modules, np.ones((px, px), np.uint8)) > 0, 0, 255).astype(np.uint8)
    quiet = 4 * px
    screen_w, screen_h = side + 2 * quiet, int((side + 2 * quiet) * 1.9)
    phone_w, phone_h = screen_w + 24, screen_h + 60
    phone = np.zeros((phone_h, phone_w, 3), np.uint8)
    cv2.rectangle(phone, (0, 0), (phone_w - 1, phone_h - 1), (40, 40, 45), -1)
    sx, sy = 12, 30
    phone[sy : sy + screen_h, sx : sx + screen_w] = (250, 250, 250)
    qx, qy = sx + quiet, sy + (screen_h - side) // 2
    phone[qy : qy + side, qx : qx + side] = qr[..., None]
    cv2.rectangle(phone, (sx, sy), (sx + screen_w, sy + int(0.12 * screen_h)), (200, 140, 40), -1)  # app header
    centre = np.array([w / 2, h / 2], np.float32)
    a = np.deg2rad(angle)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    origin = np.array([phone_w / 2, phone_h / 2], np.float32)
    matrix = np.hstack([rot, (centre - rot @ origin)[:, None]])
    warped = cv2.warpAffine(phone, matrix, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(np.full((phone_h, phone_w), 255, np.uint8), matrix, size, flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255)[..., None]
    frame = (frame * (1 - alpha) + warped * alpha).astype(np.uint8)
    qr_quad = np.array([[qx, qy], [qx + side, qy], [qx + side, qy + side], [qx, qy + side]], np.float32)
    qr_corners = qr_quad @ rot.T + matrix[:, 2]
    return Scene(name, frame, {"qr_payload": payload, "qr_corners": qr_corners.round(2).tolist()})


def face_scene(size: tuple[int, int], height: float = 0.55, dx: float = 0.0, name: str = "face") -> Scene:
    """A resident in front of the kiosk; ``height`` is the head's share of the frame height."""
    w, h = size
    frame = room(size)
    box = draw_face(frame, int(w / 2 + dx * w), int(h * 0.48), int(height * h))
    return Scene(name, frame, {"face_box": list(box), "faces": 1})


def two_faces_scene(size: tuple[int, int]) -> Scene:
    w, h = size
    frame = room(size)
    boxes = [draw_face(frame, int(w * x), int(h * 0.5), int(0.45 * h)) for x in (0.27, 0.73)]
    return Scene("two_faces", frame, {"face_boxes": [list(b) for b in boxes], "faces": 2})


def black_scene(size: tuple[int, int]) -> Scene:
    w, h = size
    return Scene("black", np.zeros((h, w, 3), np.uint8), {"black": True}, noise=1.0)


def _blurred(scene: Scene, name: str, sigma: float) -> Scene:
    return Scene(name, cv2.GaussianBlur(scene.base, (0, 0), sigma), scene.truth)


SCENES: dict[str, Callable[[tuple[int, int]], Scene]] = {
    "face": face_scene,
    # head drawn at 18 % of the frame width: found (box ≈ 21 %), but too far to verify
    "face_far": lambda size: face_scene(size, height=0.18 / 0.88 * size[0] / size[1], name="face_far"),
    "face_off_centre": lambda size: face_scene(size, dx=0.3, name="face_off_centre"),
    "face_blurry": lambda size: _blurred(face_scene(size), "face_blurry", 0.012 * size[1]),
    "two_faces": two_faces_scene,
    "document": document_scene,
    "document_blurry": lambda size: _blurred(document_scene(size), "document_blurry", 0.008 * size[1]),
    "document_glare": lambda size: glare(document_scene(size)),
    "document_small": lambda size: document_scene(size, scale=0.3, angle=-8, name="document_small"),
    "document_tilted": tilted_scene,
    "id_card": lambda size: tilted_scene(size, "id_card", name="id_card", tilt=35.0, turn=-8.0, fill=0.55),
    "qr": lambda size: qr_scene(size, QR_PAYLOAD_CN),
    "qr_url": lambda size: qr_scene(size, QR_PAYLOAD_URL, angle=-5, name="qr_url"),
    "black": black_scene,
    "empty_desk": lambda size: Scene("empty_desk", desk(size), {}),
}


def render(name: str, size: tuple[int, int]) -> Scene:
    try:
        factory = SCENES[name]
    except KeyError:
        raise ValueError(f"unknown camera scene {name!r}; known: {', '.join(SCENES)}") from None
    scene = factory(size)
    scene.name = name
    return scene


def noisy(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """One frame of the scene with fresh sensor noise."""
    frame = rng.standard_normal(scene.base.shape, dtype=np.float32)  # float32 throughout: half the time
    frame *= scene.noise
    frame += scene.base
    np.clip(frame, 0, 255, out=frame)
    return frame.astype(np.uint8)
