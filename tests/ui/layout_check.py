"""What a resident sees on a rendered screen, judged: no shortened title ("…"), no text overflowing its widget,
nothing (text or control) past the screen's edges unless a scroll view clips it, no text or control under a scroll
view's bar (the bar needs a gutter of its own), no two controls drawn over each other (a slip on one touches the
other: a keyboard key over 结束办理), a field being typed (``focused``) wholly in sight, no word broken
inside a line and no line starting with closing punctuation (screens.linebreak's rules), every text ≥ 7:1
against what is really drawn behind it and every edge of a control or card ≥ 3:1 against its surroundings
(the elder targets, screens.theme).

Contrast is measured on the pixels of the rendered screen (``Widget.export_as_image``), not on palette names: a
faded disabled button, yellow on yellow or a card the same colour as the page are found wherever they come from.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from screens.linebreak import bad_breaks
from screens.theme import EDGE_TARGET, TEXT_TARGET, contrast_ratio


@dataclass(frozen=True)
class Problem:
    kind: str  # shortened, overflow, break, outside, under-bar, focus-hidden, overlap, text-contrast, edge-contrast
    what: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.what}"


def walk_visible(widget, alpha: float = 1.0):
    """(widget, effective opacity) of the visible tree."""
    if widget.opacity == 0 or widget.width <= 0 or widget.height <= 0:
        return
    alpha *= widget.opacity
    yield widget, alpha
    for child in widget.children:
        yield from walk_visible(child, alpha)


def _label_text(label) -> str:
    return label.text if isinstance(label.text, str) else ""


def _visible_rect(widget, screen) -> tuple[float, float, float, float] | None:
    """The widget's rectangle in screen pixels (x0, y0, x1, y1), cut to its scroll views and the screen."""
    from kivy.uix.scrollview import ScrollView

    sx, sy = screen.to_window(*screen.pos)
    x, y = widget.to_window(*widget.pos)
    rect = [x - sx, y - sy, x - sx + widget.width, y - sy + widget.height]
    parent = widget.parent
    while parent is not None and parent is not screen:
        if isinstance(parent, ScrollView):
            px, py = parent.to_window(*parent.pos)
            rect = [max(rect[0], px - sx), max(rect[1], py - sy), min(rect[2], px - sx + parent.width),
                    min(rect[3], py - sy + parent.height)]
        parent = parent.parent
    rect = [max(rect[0], 0), max(rect[1], 0), min(rect[2], screen.width), min(rect[3], screen.height)]
    if rect[2] - rect[0] < 4 or rect[3] - rect[1] < 4:
        return None
    return rect[0], rect[1], rect[2], rect[3]


def _outside(widget, screen) -> str | None:
    """Which sides of the screen ``widget`` reaches past (content pushed above the top by a column taller than the
    screen, say); None when it lies inside, or inside a scroll view, which clips it on purpose."""
    from kivy.uix.scrollview import ScrollView

    parent = widget.parent
    while parent is not None and parent is not screen:
        if isinstance(parent, ScrollView):
            return None
        parent = parent.parent
    sx, sy = screen.to_window(*screen.pos)
    x, y = widget.to_window(*widget.pos)
    x, y = x - sx, y - sy
    sides = [side for side, past in (("top", y + widget.height > screen.height + 2), ("bottom", y < -2),
                                     ("left", x < -2), ("right", x + widget.width > screen.width + 2)) if past]
    return ", ".join(sides) or None


def _scroll_bar(widget, screen):
    """The x range (window pixels) of the vertical bar of the nearest scroll view holding ``widget`` while that view
    shows its bar (its content taller than itself), else None."""
    from kivy.uix.scrollview import ScrollView

    parent = widget.parent
    while parent is not None and parent is not screen and not isinstance(parent, ScrollView):
        parent = parent.parent
    if not isinstance(parent, ScrollView) or not parent.do_scroll_y or parent.bar_width <= 0:
        return None
    if parent.viewport_size[1] <= parent.height + 1:  # all of it in sight: no bar drawn
        return None
    x, _y = parent.to_window(*parent.pos)
    if parent.bar_pos_y == "left":
        return x + parent.bar_margin, x + parent.bar_margin + parent.bar_width
    right = x + parent.width - parent.bar_margin
    return right - parent.bar_width, right


def _right_of_text(label) -> float:
    """Where (window x) the label's longest line really ends: its texture is centred in the widget, each line placed
    in it by halign and padding."""
    core = label._label
    lines = getattr(core, "_cached_lines", None) or []
    width = label.texture_size[0]
    pad_left, _t, pad_right, _b = core.options.get("padding", (0, 0, 0, 0))
    x, _y = label.to_window(*label.pos)
    left = x + label.width / 2 - width / 2
    ends = []
    for line in lines:
        if label.halign == "center":
            ends.append(left + (width - line.w) / 2 + line.w)
        elif label.halign == "right":
            ends.append(left + width - pad_right)
        else:
            ends.append(left + pad_left + line.w)
    return max(ends, default=left)


def _under_bar(widget, screen) -> str | None:
    """A text's end or a control's side under the bar of the scroll view it lies in (a bar drawn over it)."""
    from kivy.uix.label import Label

    bar = _scroll_bar(widget, screen)
    if bar is None or _visible_rect(widget, screen) is None:
        return None
    x, _y = widget.to_window(*widget.pos)
    if isinstance(widget, Label) and not _is_edge_widget(widget):
        start, end = x, _right_of_text(widget)
    else:
        start, end = x, x + widget.width
    if end > bar[0] + 1 and start < bar[1] - 1:
        return f"its right edge at {int(end)} under the scroll bar at {int(bar[0])}–{int(bar[1])}"
    return None


def fully_visible(widget, screen) -> bool:
    rect = _visible_rect(widget, screen)
    return rect is not None and rect[2] - rect[0] >= widget.width - 1 and rect[3] - rect[1] >= widget.height - 1


def render_pixels(screen) -> np.ndarray:
    """The screen drawn offscreen: an (height, width, 3) array of 0..1 floats, row 0 at the bottom (Kivy's y)."""
    image = screen.export_as_image()
    texture = image.texture
    data = np.frombuffer(texture.pixels, dtype=np.uint8).reshape(texture.height, texture.width, 4)
    return data[::-1, :, :3].astype(np.float32) / 255.0  # the export's rows run top-down


def _dominant(pixels: np.ndarray) -> tuple[float, float, float]:
    flat = (pixels.reshape(-1, 3) * 255).astype(np.uint8)
    if not len(flat):
        return (0.0, 0.0, 0.0)
    counts = Counter(map(bytes, flat))
    value = counts.most_common(1)[0][0]
    return tuple(c / 255 for c in value)  # type: ignore[return-value]


def _frequent(pixels: np.ndarray, share: float = 0.08) -> list[tuple[float, float, float]]:
    flat = (pixels.reshape(-1, 3) * 255).astype(np.uint8)
    if not len(flat):
        return []
    counts = Counter(map(bytes, flat))
    return [tuple(c / 255 for c in value) for value, n in counts.items() if n >= share * len(flat)]  # type: ignore[misc]


def _label_lines(label) -> list[str]:
    core = label._label
    lines = getattr(core, "_cached_lines", None) or []
    return ["".join(word.text for word in line.words) for line in lines]


def _is_edge_widget(widget) -> bool:
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.textinput import TextInput

    return isinstance(widget, ButtonBehavior | TextInput)


def _overlaps(screen) -> list[Problem]:
    """Controls whose visible rectangles cross (neither inside the other's tree)."""
    controls = [(w, r) for w, _a in walk_visible(screen) if _is_edge_widget(w) and (r := _visible_rect(w, screen))]
    problems = []
    for i, (one, a) in enumerate(controls):
        for other, b in controls[i + 1 :]:
            width, height = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
            if width > 2 and height > 2 and not _related(one, other):
                names = " and ".join(f"{type(w).__name__} {str(getattr(w, 'text', ''))[:20]!r}" for w in (one, other))
                problems.append(Problem("overlap", f"{names} drawn over each other ({width:.0f}×{height:.0f} px)"))
    return problems


def _related(one, other) -> bool:
    def ancestors(widget):
        while widget is not None:
            yield widget
            parent = getattr(widget, "parent", None)
            widget = parent if parent is not widget else None

    return one in ancestors(other) or other in ancestors(one)


def check_screen(screen, pixels: np.ndarray | None = None, contrast: bool = True) -> list[Problem]:
    """Every problem a resident would meet on ``screen`` as it is laid out now (the caller ticks the clock first)."""
    from kivy.uix.label import Label

    problems: list[Problem] = _overlaps(screen)
    if contrast and pixels is None:
        pixels = render_pixels(screen)
    for widget, alpha in walk_visible(screen):
        if (isinstance(widget, Label) and _label_text(widget).strip()) or _is_edge_widget(widget):
            past = _outside(widget, screen)
            if past:
                text = str(getattr(widget, "text", ""))[:40]
                problems.append(Problem("outside", f"{type(widget).__name__} {text!r} past the screen's {past}"))
            covered = _under_bar(widget, screen)
            if covered:
                text = str(getattr(widget, "text", ""))[:40]
                problems.append(Problem("under-bar", f"{type(widget).__name__} {text!r}: {covered}"))
        if getattr(widget, "focused", False) is True and not fully_visible(widget, screen):
            name = f"{type(widget).__name__} {getattr(widget, 'label', '')!r}"
            problems.append(Problem("focus-hidden", f"{name}: the field being typed is not wholly in sight"))
        if isinstance(widget, Label) and _label_text(widget).strip():
            problems += _label_problems(widget, screen, pixels if contrast else None, alpha)
        if contrast and pixels is not None and _is_edge_widget(widget) and alpha >= 0.99:
            problem = _edge_problem(widget, screen, pixels)
            if problem:
                problems.append(problem)
    return problems


def _label_problems(label, screen, pixels, alpha: float) -> list[Problem]:
    text = _label_text(label)
    name = f"{type(label).__name__} {text[:40]!r}"
    found: list[Problem] = []
    label.texture_update()
    if label.shorten and getattr(label, "is_shortened", False):
        found.append(Problem("shortened", name))
        return found
    core = label._label
    internal = getattr(core, "_internal_size", None)
    if internal and fully_visible(label, screen):
        width, height = internal
        if width > label.width + 2 or height > label.height + 2:
            found.append(Problem("overflow", f"{name} needs {int(width)}×{int(height)}, has "
                                             f"{int(label.width)}×{int(label.height)}"))
    if not label.markup:
        found += [Problem("break", f"{name}: {p}") for p in bad_breaks(text, _label_lines(label))]
    if pixels is not None:
        rect = _visible_rect(label, screen)
        if rect is not None:
            x0, y0, x1, y1 = (round(v) for v in rect)
            background = _dominant(pixels[y0:y1, x0:x1])
            colour = label.disabled_color if label.disabled else label.color
            shown = tuple(colour[i] * colour[3] * alpha + background[i] * (1 - colour[3] * alpha) for i in range(3))
            ratio = contrast_ratio(shown, background)
            if ratio < TEXT_TARGET - 0.05:
                found.append(Problem("text-contrast", f"{name} {ratio:.2f}:1"))
    return found


def _edge_problem(widget, screen, pixels: np.ndarray) -> Problem | None:
    """A control's or card's edge against what surrounds it: the most visible colour in a band just inside its
    sides (fill or outline) against the colour just outside. Corners are skipped (rounded)."""
    if not fully_visible(widget, screen):
        return None
    rect = _visible_rect(widget, screen)
    assert rect is not None
    x0, y0, x1, y1 = (round(v) for v in rect)
    height, width = pixels.shape[:2]
    if x0 < 13 or y0 < 13 or x1 > width - 13 or y1 > height - 13 or x1 - x0 < 40 or y1 - y0 < 24:
        return None
    band = 6
    mx, my = (x1 - x0) // 4, (y1 - y0) // 4
    # Per side: a band just inside (the fill or the outline) against a band 6–12 px outside (an outline is drawn
    # centred on the side, up to 9 px of a chosen state's thick one lies outside). A control squeezed between
    # neighbours (a keypad's last row above a button) shows its edge against them only on its free sides: the edge
    # passes when two sides do.
    sides = {
        "bottom": (pixels[y0:y0 + band, x0 + mx:x1 - mx], pixels[y0 - 12:y0 - 6, x0 + mx:x1 - mx]),
        "top": (pixels[y1 - band:y1, x0 + mx:x1 - mx], pixels[y1 + 6:y1 + 12, x0 + mx:x1 - mx]),
        "left": (pixels[y0 + my:y1 - my, x0:x0 + band], pixels[y0 + my:y1 - my, x0 - 12:x0 - 6]),
        "right": (pixels[y0 + my:y1 - my, x1 - band:x1], pixels[y0 + my:y1 - my, x1 + 6:x1 + 12]),
    }
    ratios = {}
    for side, (inside, outside) in sides.items():
        around = _frequent(outside, 0.3) or [_dominant(outside)]
        ratios[side] = max((contrast_ratio(c, a) for c in _frequent(inside) for a in around), default=1.0)
    best = sorted(ratios.values())[-2]  # the second best side: two sides must show the edge
    if best < EDGE_TARGET - 0.05:
        text = getattr(widget, "text", "")
        return Problem("edge-contrast", f"{type(widget).__name__} {str(text)[:30]!r} {best:.2f}:1")
    return None
