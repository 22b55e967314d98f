"""Search: the query grows key by key on the kiosk's keyboard, by initials on QWERTY or by characters written by
hand (the ChineseKeyboard, handwriting first in elder mode); results update on every letter or character."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.catalog.search import Hit
from kiosk.journey import Target
from screens.widgets import KioskScreen

RESULT_LIMIT = 30


class SearchScreen(KioskScreen):
    query: str = StringProperty("")
    at_terminal_only: bool = BooleanProperty(False)
    count_text: str = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(
            prompt="Type the first letters of the service's pinyin, for example YLBX, or write its name by hand",
            **kwargs)

    def on_pre_enter(self, *args: object) -> None:
        super().on_pre_enter(*args)
        # residents who cannot type pinyin write the name by hand: handwriting first in elder mode (UX.md)
        self.ids.keyboard.set_mode("handwriting" if self.app.elder else "letters")

    def on_enter(self, *args: object) -> None:
        super().on_enter(*args)
        self.refresh()

    def on_key(self, key: str) -> None:
        if key == "backspace":
            self.query = self.query[:-1]
        elif key == "clear":
            self.query = ""
        else:
            self.query += key
        self.refresh()

    def toggle_terminal(self) -> None:
        self.at_terminal_only = not self.at_terminal_only
        self.refresh()

    def refresh(self) -> None:
        services = self.app.services
        t = self.app.core.t
        if self.query:
            found = services.index.search_all(self.query, RESULT_LIMIT, self.at_terminal_only)
            rows = [item_row(h.item, t) if isinstance(h, Hit) else bundle_row(h.bundle, t) for h in found]
        else:
            items = list(services.index.at_terminal()) if self.at_terminal_only else []
            rows = [item_row(item, t) for item in items]
        self.ids.results.data = rows
        self.ids.results.scroll_y = 1
        if not self.query and not rows:
            self.count_text = t("Type letters or write a character to search")
        elif not rows:
            self.count_text = t("Nothing found. Try fewer letters, or ask at the counter.")
        else:
            self.count_text = t("{count} found").format(count=len(rows))

    def choose(self, kind: str, code: str) -> None:
        services = self.app.services
        if kind == "bundle":  # a 一件事 found by its name or an everyday phrase: its guide, all items at once
            services.journey.choose(Target.of_bundle(services.catalog.bundle(code)))
        else:
            services.index.record_use(code)
            services.journey.choose(Target.of_item(services.catalog.item(code)))
        self.app.navigate("guide")

    def wipe(self) -> None:
        self.query = ""
        self.ids.keyboard.reset()


def item_row(item, t) -> dict:
    """The RecycleView row of an item: name, department, and whether it can be done here."""
    speed = t("Immediate") if item.promised_days == 0 else t("Promised")
    return _row("item", item.code, item.name, f"{item.department} · {speed}", item.at_terminal, t)


def bundle_row(bundle, t) -> dict:
    """The row of a 一件事 bundle among search results: marked as one, with where it can be done."""
    return _row("bundle", bundle.code, bundle.name, f"{t('Life event')} · {bundle.description}", bundle.at_terminal, t)


def _row(kind: str, key: str, text: str, detail: str, at_terminal: bool, t) -> dict:
    return {"text": text, "detail": detail, "badge": t("Do it here") if at_terminal else "", "key": key, "kind": kind}
