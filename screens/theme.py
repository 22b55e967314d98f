"""One theme: palette, font sizes, spacing, and the elder-mode scale and high-contrast palette.

Sizes are in pixels of a 1080-pixel short side (a 21.5" 1080p screen has about 4 px per mm) and are
scaled to the actual window; elder mode multiplies them by the configured scale (≥ 1.5).
"""

from __future__ import annotations

from dataclasses import dataclass


def hex_rgba(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255, alpha)


def relative_luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio (1..21)."""
    hi, lo = sorted((relative_luminance(fg), relative_luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class Palette:
    background: str
    surface: str
    primary: str
    on_primary: str
    text: str
    text_muted: str
    border: str
    edge_disabled: str  # the outline of an action not yet possible: seen (≥ 3:1), but not the actions' colour
    danger: str
    ok: str
    use_tile_colors: bool  # the normal palette shows configured tile colours; high contrast does not

    def rgba(self, name: str) -> tuple[float, float, float, float]:
        return hex_rgba(getattr(self, name))


NORMAL = Palette(
    background="#EEF2F7",
    surface="#FFFFFF",
    primary="#184A8C",  # 7.8:1 on the background, 8.8:1 under white text
    on_primary="#FFFFFF",
    text="#1A1F26",
    text_muted="#3D4652",  # 8.5:1 on the background: secondary text meets the elder 7:1 target too
    border="#6B7785",  # the edge of inputs, cards and outlined buttons: ≥ 3:1 on background and surface
    edge_disabled="#7E8896",
    danger="#961D17",
    ok="#145A27",
    use_tile_colors=True,
)

HIGH_CONTRAST = Palette(
    background="#000000",
    surface="#141414",
    primary="#FFD400",
    on_primary="#000000",
    text="#FFFFFF",
    text_muted="#CCCCCC",  # 12:1 on the background, yet apart from the white of what can be touched
    border="#FFD400",
    edge_disabled="#8C8C8C",
    danger="#FF8A80",
    ok="#9CFF9C",
    use_tile_colors=False,
)

# The pairs that carry text, checked for contrast (≥ 7:1 in elder mode).
TEXT_PAIRS = (
    ("text", "background"),
    ("text", "surface"),
    ("text_muted", "background"),
    ("text_muted", "surface"),
    ("on_primary", "primary"),
    ("danger", "background"),
    ("ok", "background"),
    ("on_primary", "danger"),  # banners
    ("on_primary", "ok"),  # the submit button
)

# The pairs that draw an edge a resident must see (inputs, buttons, cards, the chosen state): ≥ 3:1.
EDGE_PAIRS = (
    ("border", "background"),
    ("border", "surface"),
    ("edge_disabled", "background"),
    ("primary", "background"),
    ("primary", "surface"),
)
TEXT_TARGET = 7.0  # WCAG 2.2 AAA, the kiosk's target in elder mode
EDGE_TARGET = 3.0


@dataclass(frozen=True)
class Theme:
    palette: Palette
    unit: float  # pixels per design pixel, from the window's short side and the elder scale
    elder: bool

    @classmethod
    def make(cls, window_size: tuple[float, float], elder: bool, elder_scale: float) -> Theme:
        base = min(window_size) / 1080
        return cls(HIGH_CONTRAST if elder else NORMAL, base * (elder_scale if elder else 1.0), elder)

    def px(self, design_pixels: float) -> float:
        return design_pixels * self.unit

    def color(self, name: str) -> tuple[float, float, float, float]:
        return self.palette.rgba(name)

    @property
    def font_title(self) -> float:
        return self.px(56)

    @property
    def font_heading(self) -> float:
        return self.px(42)

    @property
    def font_body(self) -> float:
        return self.px(32)

    @property
    def font_small(self) -> float:
        return self.px(26)

    @property
    def touch_target(self) -> float:
        """Minimum button height: 20 mm on a 21.5" 1080p screen is ≈ 80 px; normal mode uses 100."""
        return self.px(100)

    @property
    def edge(self) -> float:
        """Line width of an edge a resident must see (inputs, cards, outlined buttons); the chosen state doubles it."""
        return max(2.0, self.px(3))

    @property
    def spacing(self) -> float:
        return self.px(24)

    @property
    def scroll_bar(self) -> float:
        """Width of a scroll view's bar: seen (it says there is more), never over the text it scrolls."""
        return self.px(8)

    @property
    def gutter(self) -> float:
        """What a scroll view's content leaves free at its right side: the bar's own room and a gap."""
        return self.scroll_bar + self.px(10)
