"""Document capture: find the page, correct perspective, deskew, enhance, check, encode.

A resident lays a paper on the desk under the camera. The page is the largest bright
quadrilateral; its corners come from straight lines fitted to each side (sub-pixel, robust to a
dog-eared corner), not from the polygon approximation's vertices. Frames that would not be
legible are rejected with a reason code so the UI can say what to do.
"""

from __future__ import annotations

import enum
import math
import statistics
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

MAX_JPEG_BYTES = 1024 * 1024

# Height / width of what residents photograph (portrait; a landscape page is the inverse).
KNOWN_FORMATS: dict[str, float] = {
    "a_series": math.sqrt(2),  # A4, A5 (and 16开 within the snap tolerance of neither: it is left as measured)
    "id_card": 85.6 / 54.0,  # ISO/IEC 7810 ID-1: 居民身份证, 社保卡, bank cards
    "hukou_page": 143 / 105,  # 居民户口簿 inner page
}


class DocReason(enum.StrEnum):
    OK = "ok"
    NO_PAGE = "no_page"
    PAGE_TOO_SMALL = "page_too_small"
    BLURRY = "blurry"
    GLARE = "glare"


@dataclass(frozen=True)
class DocRules:
    min_area: float = 0.12  # page area / frame area
    min_side: int = 200  # shortest page side in frame pixels
    min_sharpness: float = 90.0  # Laplacian variance of the rectified page at 800 px width
    glare_level: int = 250  # grey level counted as blown out
    max_glare: float = 0.01  # largest blown-out blob / page area
    out_width: tuple[int, int] = (1240, 2480)  # A4 at 150 to 300 dpi: legible, within 1 MiB
    # The camera's horizontal field of view: the focal length assumed when the page's outline cannot tell it
    # (two of its edges parallel in the picture) and the scanner has not yet learnt it from pages that could.
    # Set it to the installed camera's (the simulator's camera is 60°).
    fov_deg: float = 60.0
    snap: float = 0.015  # a measured aspect this close (relative) to a known format is taken as that format


@dataclass(frozen=True)
class PageShape:
    """The real proportions of the page behind a quadrilateral seen in perspective."""

    aspect: float  # height / width of the page itself; width runs from the TL to the TR corner
    method: str  # "projective" (focal length from the corners), "affine" (no perspective to speak of),
    # "assumed_focal" (two edges parallel in the picture: DocRules.fov_deg decides) or "measured" (not a page)
    focal: float | None = None  # pixels, when the corners determined it
    format: str | None = None  # the KNOWN_FORMATS entry the aspect was snapped to


@dataclass
class DocumentResult:
    reason: DocReason
    corners: np.ndarray | None = None  # 4×2 float32, TL TR BR BL in frame pixels
    page: np.ndarray | None = None  # rectified, deskewed, enhanced BGR
    jpeg: bytes = b""
    figures: dict[str, float] = field(default_factory=dict)
    shape: PageShape | None = None  # the page's real proportions, once it was rectified

    @property
    def ok(self) -> bool:
        return self.reason is DocReason.OK

    def as_dict(self) -> dict:
        return {
            "reason": str(self.reason),
            "corners": None if self.corners is None else np.round(self.corners.astype(float), 1).tolist(),
            "jpeg_bytes": len(self.jpeg),
            "size": None if self.page is None else [int(self.page.shape[1]), int(self.page.shape[0])],
            "figures": self.figures,
            "format": None if self.shape is None else self.shape.format,
            "aspect_method": None if self.shape is None else self.shape.method,
        }


def order_corners(points: np.ndarray) -> np.ndarray:
    """Any 4 points → TL, TR, BR, BL (clockwise from the one nearest the image origin)."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise in image coordinates (y down)
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


def _intersect(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    (p, d), (q, e) = a, b
    denom = d[0] * e[1] - d[1] * e[0]
    if abs(denom) < 1e-6:
        return None
    t = ((q[0] - p[0]) * e[1] - (q[1] - p[1]) * e[0]) / denom
    return p + t * d


def _refine(contour: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Fit a line to the contour points along each side's middle and intersect neighbours."""
    pts = contour.reshape(-1, 2).astype(np.float32)
    lines = []
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        side = b - a
        length = float(np.linalg.norm(side))
        if length < 1:
            return corners
        unit = side / length
        rel = pts - a
        along = rel @ unit
        across = np.abs(rel[:, 0] * unit[1] - rel[:, 1] * unit[0])
        near = pts[(along > 0.1 * length) & (along < 0.9 * length) & (across < max(3.0, 0.02 * length))]
        if len(near) < 5:
            return corners
        vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    refined = []
    for i in range(4):
        point = _intersect(lines[(i - 1) % 4], lines[i])
        if point is None or np.linalg.norm(point - corners[i]) > 0.05 * cv2.arcLength(corners.reshape(-1, 1, 2), True):
            return corners
        refined.append(point)
    return np.array(refined, dtype=np.float32)


def find_page(frame: np.ndarray, min_contrast: float = 40.0) -> tuple[np.ndarray, np.ndarray] | None:
    """The page's corners (TL TR BR BL) and contour, or None when no 4-sided shape clearly brighter
    than its surroundings lies wholly inside the frame (a bright wall filling the view is no page)."""
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    blurred = cv2.GaussianBlur(grey, (5, 5), 0)
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # close the holes that text and stamps leave in the page
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    height, width = grey.shape
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        x, y, w, h = cv2.boundingRect(contour)
        if x <= 1 or y <= 1 or x + w >= width - 1 or y + h >= height - 1:
            continue  # cut off by the frame edge: not a whole page
        inside = np.zeros_like(grey)
        cv2.drawContours(inside, [contour], -1, 255, -1)
        if cv2.mean(grey, inside)[0] - cv2.mean(grey, cv2.bitwise_not(inside))[0] < min_contrast:
            continue  # grain on a desk, a shadow: not paper
        hull = cv2.convexHull(contour)
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            corners = order_corners(approx)
            return _refine(contour, corners), contour
    return None


def _side_ratio(corners: np.ndarray) -> float:
    """Height / width as the picture shows it: the longer of each pair of opposite sides."""
    tl, tr, br, bl = corners
    width = max(float(np.linalg.norm(tr - tl)), float(np.linalg.norm(br - bl)))
    height = max(float(np.linalg.norm(bl - tl)), float(np.linalg.norm(br - tr)))
    return height / width if width > 1e-9 and height > 1e-9 else 1.0


def _snap(aspect: float, low: float, high: float) -> tuple[float, str | None]:
    """The known format (either orientation) within [low, high] nearest to ``aspect``, else ``aspect``."""
    best, best_name, best_error = aspect, None, math.inf
    for name, ratio in KNOWN_FORMATS.items():
        for candidate in (ratio, 1 / ratio):
            error = abs(math.log(candidate / aspect))
            if low <= candidate <= high and error < best_error:
                best, best_name, best_error = candidate, name, error
    return best, best_name


MAX_ASPECT = 6.0  # no document is longer than this: beyond it the corners are not a page


def page_shape(
    corners: np.ndarray, frame_size: tuple[int, int], rules: DocRules | None = None, focal: float | None = None
) -> PageShape:
    """Height / width of the real rectangle whose picture is the quadrilateral ``corners`` (TL TR BR BL).

    Zhang & He, "Whiteboard scanning and image enhancement" (2007): a pinhole camera with square pixels and
    its principal point at the frame centre. With the corners m1..m4 (TL, TR, BL, BR, homogeneous, centred)
    k2 = ((m1×m4)·m3)/((m2×m4)·m3), k3 = ((m1×m4)·m2)/((m3×m4)·m2) are the depth ratios of TR and BL
    to TL; n2 = k2·m2 − m1 and n3 = k3·m3 − m1 are the images of the page's two edge vectors, so their
    orthogonality gives the focal length f² = −(n21·n31 + n22·n32)/(n23·n33), and the aspect is
    (h/w)² = (n31² + n32² + f²·n33²)/(n21² + n22² + f²·n23²). When an edge pair is parallel in the picture
    (n23 or n33 ≈ 0: the page turned only about one axis, the usual kiosk view) f is not determined: the
    focal length ``focal`` (pixels; else the configured field of view) gives it, and a known format within
    the aspects a ±15 % (±5 % for a given ``focal``) focal length allows is taken. Never raises: corners
    that no page could project to give the side ratio ("measured").
    """
    rules = rules or DocRules()
    pts = np.asarray(corners, dtype=np.float64).reshape(4, 2)
    width, height = frame_size
    scale = float(max(width, height, 1))
    measured = min(max(_side_ratio(pts) if np.isfinite(pts).all() else 1.0, 1 / MAX_ASPECT), MAX_ASPECT)
    fallback = PageShape(measured, "measured")
    if not np.isfinite(pts).all():
        return fallback
    centred = (pts - np.array([width / 2, height / 2])) / scale
    m1, m2, m4, m3 = (np.append(p, 1.0) for p in centred)  # TL, TR, BR, BL → Zhang's m1, m2, m4, m3
    d2 = float(np.dot(np.cross(m2, m4), m3))
    d3 = float(np.dot(np.cross(m3, m4), m2))
    if abs(d2) < 1e-9 or abs(d3) < 1e-9:
        return fallback  # three corners on a line
    c14 = np.cross(m1, m4)
    k2, k3 = float(np.dot(c14, m3)) / d2, float(np.dot(c14, m2)) / d3
    if not (0.05 < k2 < 20 and 0.05 < k3 < 20):
        return fallback  # a corner behind the camera or a crossed outline: no rectangle looks like this
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    a2, a3 = float(n2[0] ** 2 + n2[1] ** 2), float(n3[0] ** 2 + n3[1] ** 2)
    if a2 < 1e-12 or a3 < 1e-12:
        return fallback

    def aspect_at(f: float) -> float:
        return math.sqrt((a3 + f * f * n3[2] ** 2) / (a2 + f * f * n2[2] ** 2))

    if focal is not None and math.isfinite(focal) and focal > 0:
        prior = focal / scale
    else:
        prior = width / 2 / math.tan(math.radians(min(max(rules.fov_deg, 10.0), 150.0)) / 2) / scale
    lowest, highest = width / 2 / math.tan(math.radians(60)) / scale, width / 2 / math.tan(math.radians(10)) / scale
    f_squared = -float(n2[0] * n3[0] + n2[1] * n3[1]) / (n2[2] * n3[2]) if abs(n2[2] * n3[2]) > 1e-12 else -1.0
    if min(abs(n2[2]), abs(n3[2])) > 0.01 and lowest**2 <= f_squared <= highest**2:
        focal = math.sqrt(f_squared)
        aspect = aspect_at(focal)
        if not 1 / MAX_ASPECT <= aspect <= MAX_ASPECT:
            return fallback
        snapped, name = _snap(aspect, aspect * (1 - rules.snap), aspect * (1 + rules.snap))
        return PageShape(snapped, "projective", focal * scale, name)
    aspect = aspect_at(prior)
    doubt = 1.05 if focal is not None else 1.15  # a measured focal length is closer than a configured one
    span = sorted((aspect_at(prior / doubt), aspect_at(prior * doubt)))
    if not 1 / MAX_ASPECT <= aspect <= MAX_ASPECT:
        return fallback
    if span[1] / span[0] < 1 + rules.snap:  # the focal length hardly matters: the view is (nearly) affine
        snapped, name = _snap(aspect, aspect * (1 - rules.snap), aspect * (1 + rules.snap))
        return PageShape(snapped, "affine", None, name)
    snapped, name = _snap(aspect, span[0] * (1 - rules.snap), span[1] * (1 + rules.snap))
    return PageShape(snapped, "assumed_focal", None, name)


def rectify(frame: np.ndarray, corners: np.ndarray, aspect: float | None = None) -> np.ndarray:
    """Warp the quadrilateral to an upright rectangle of height / width ``aspect`` (default: as the picture
    shows it), no smaller than the page appears in either direction (and at most four frames wide)."""
    tl, tr, br, bl = corners
    width = max(float(np.linalg.norm(tr - tl)), float(np.linalg.norm(br - bl)), 1.0)
    height = max(float(np.linalg.norm(bl - tl)), float(np.linalg.norm(br - tr)), 1.0)
    ratio = height / width if aspect is None else aspect
    w = min(max(width, height / ratio), 4.0 * max(frame.shape[:2]))
    h = min(w * ratio, 4.0 * max(frame.shape[:2]))
    w, h = max(2, round(h / ratio)), max(2, round(h))
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(frame, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _ink(grey: np.ndarray) -> np.ndarray:
    return cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)


def skew_angle(grey: np.ndarray, max_angle: float = 4.0, step: float = 0.25) -> float:
    """Degrees to rotate by so text lines run level: the angle whose row profile is most peaked."""
    scale = min(1.0, 500 / grey.shape[1])
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink = _ink(small)
    if ink.mean() < 1.0:
        return 0.0  # a blank page has no lines to level
    centre = (small.shape[1] / 2, small.shape[0] / 2)
    best, best_score = 0.0, -1.0
    for angle in np.arange(-max_angle, max_angle + step / 2, step):
        rotated = cv2.warpAffine(ink, cv2.getRotationMatrix2D(centre, float(angle), 1.0), ink.shape[::-1])
        score = float(np.var(rotated.sum(axis=1, dtype=np.float64)))
        if score > best_score:
            best, best_score = float(angle), score
    return best


def lines_run_vertically(grey: np.ndarray) -> bool:
    """True when the text runs top to bottom in this image (the page lies sideways)."""
    ink = _ink(cv2.resize(grey, (400, 400), interpolation=cv2.INTER_AREA)).astype(np.float64)
    return float(np.var(ink.sum(axis=0))) > 1.5 * float(np.var(ink.sum(axis=1)))


def enhance(page: np.ndarray) -> np.ndarray:
    """Flatten uneven lighting per channel (keeps red seals red), then sharpen lightly."""
    k = max(15, page.shape[1] // 25) | 1  # wider than a stroke, narrower than a shadow
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    out = np.empty_like(page)
    for c in range(page.shape[2]):
        channel = page[:, :, c]
        background = cv2.blur(cv2.morphologyEx(channel, cv2.MORPH_CLOSE, kernel), (k, k))
        out[:, :, c] = cv2.divide(channel, background, scale=255)
    soft = cv2.GaussianBlur(out, (0, 0), 1.2)
    return cv2.addWeighted(out, 1.5, soft, -0.5, 0)


def encode_within(image: np.ndarray, limit: int = MAX_JPEG_BYTES) -> bytes:
    """JPEG no larger than ``limit``: lower the quality first, then the size."""
    current = image
    while True:
        for quality in (90, 80, 70, 60):
            ok, data = cv2.imencode(".jpg", current, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok and len(data) <= limit:
                return data.tobytes()
        current = cv2.resize(current, None, fx=0.85, fy=0.85, interpolation=cv2.INTER_AREA)


def glare_fraction(grey_page: np.ndarray, level: int) -> float:
    blown = (cv2.GaussianBlur(grey_page, (5, 5), 0) >= level).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(blown, connectivity=8)
    if count <= 1:
        return 0.0
    return float(stats[1:, cv2.CC_STAT_AREA].max()) / grey_page.size


class DocumentScanner:
    def __init__(self, rules: DocRules | None = None) -> None:
        self.rules = rules or DocRules()
        # focal length / frame width measured on pages whose outline determined it: the camera is fixed,
        # so it serves the pages whose outline cannot (squared up to the camera) better than DocRules.fov_deg
        self._focals: deque[float] = deque(maxlen=15)

    @property
    def learnt_focal(self) -> float | None:
        """The camera's focal length as a fraction of the frame width, once three pages have told it."""
        return statistics.median(self._focals) if len(self._focals) >= 3 else None

    def page_shape(self, corners: np.ndarray, frame: np.ndarray) -> PageShape:
        width = frame.shape[1]
        learnt = self.learnt_focal
        shape = page_shape(corners, (width, frame.shape[0]), self.rules, None if learnt is None else learnt * width)
        if shape.method == "projective" and shape.focal is not None:
            self._focals.append(shape.focal / width)
        return shape

    def scan(self, frame: np.ndarray, finish: bool = True) -> DocumentResult:
        """Check the frame; with ``finish`` also rectify, deskew, enhance and encode an acceptable page
        (``finish=False`` is the cheap per-frame check while the resident positions the page)."""
        rules = self.rules
        found = find_page(frame)
        if found is None:
            return DocumentResult(DocReason.NO_PAGE)
        corners, _ = found
        area = float(cv2.contourArea(corners)) / (frame.shape[0] * frame.shape[1])
        sides = [float(np.linalg.norm(corners[i] - corners[(i + 1) % 4])) for i in range(4)]
        figures = {"area": round(area, 3), "min_side": round(min(sides), 1)}
        if area < 0.01:
            return DocumentResult(DocReason.NO_PAGE, figures=figures)  # a speck, not a distant page
        if area < rules.min_area or min(sides) < rules.min_side:
            return DocumentResult(DocReason.PAGE_TOO_SMALL, corners, figures=figures)
        shape = self.page_shape(corners, frame)
        figures["aspect"] = round(shape.aspect, 4)
        page = rectify(frame, corners, shape.aspect)
        grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
        norm = cv2.resize(grey, (800, round(800 * grey.shape[0] / grey.shape[1])), interpolation=cv2.INTER_AREA)
        figures["glare"] = round(glare_fraction(grey, rules.glare_level), 4)
        figures["sharpness"] = round(float(cv2.Laplacian(norm, cv2.CV_64F).var()), 1)
        if figures["glare"] > rules.max_glare:
            return DocumentResult(DocReason.GLARE, corners, figures=figures, shape=shape)
        if figures["sharpness"] < rules.min_sharpness:
            return DocumentResult(DocReason.BLURRY, corners, figures=figures, shape=shape)
        if not finish:
            return DocumentResult(DocReason.OK, corners, figures=figures, shape=shape)
        if lines_run_vertically(grey):
            page = cv2.rotate(page, cv2.ROTATE_90_CLOCKWISE)
            grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
        angle = skew_angle(grey)
        figures["skew_deg"] = angle
        if abs(angle) >= 0.25:
            centre = (page.shape[1] / 2, page.shape[0] / 2)
            matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
            page = cv2.warpAffine(
                page, matrix, page.shape[1::-1], flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
            )
        page = enhance(page)  # at the camera's resolution: upscaling first would only cost time
        low, high = rules.out_width
        target = min(max(page.shape[1], low), high)
        if target != page.shape[1]:
            size = (target, round(target * page.shape[0] / page.shape[1]))
            page = cv2.resize(page, size, interpolation=cv2.INTER_CUBIC)
        return DocumentResult(DocReason.OK, corners, page, encode_within(page), figures, shape)
