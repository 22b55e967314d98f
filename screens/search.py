"""Search: the query grows key by key on the kiosk's own letter keyboard; results update on every key."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.journey import Target
from screens.widgets import KioskScreen

RESULT_LIMIT = 30


class SearchScreen(KioskScreen):
    query: str = StringProperty("")
    at_terminal_only: bool = BooleanProperty(False)
    count_text: str = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Type the first letters of the service's pinyin, for example YLBX", **kwargs)

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
            hits = [hit.item for hit in services.index.search(self.query, RESULT_LIMIT, self.at_terminal_only)]
        else:
            hits = list(services.index.at_terminal()) if self.at_terminal_only else []
        self.ids.results.data = [item_row(item, t) for item in hits]
        self.ids.results.scroll_y = 1
        if not self.query and not hits:
            self.count_text = t("Type letters to search")
        elif not hits:
            self.count_text = t("Nothing found. Try fewer letters, or ask at the counter.")
        else:
            self.count_text = t("{count} found").format(count=len(hits))

    def choose(self, _kind: str, code: str) -> None:
        services = self.app.services
        services.index.record_use(code)
        services.journey.choose(Target.of_item(services.catalog.item(code)))
        self.app.navigate("guide")

    def wipe(self) -> None:
        self.query = ""


def item_row(item, t) -> dict:
    """The RecycleView row of an item: name, department, and whether it can be done here."""
    return {
        "text": item.name,
        "detail": f"{item.department} · {t('Immediate') if item.promised_days == 0 else t('Promised')}",
        "badge": t("Do it here") if item.at_terminal else "",
        "key": item.code,
        "kind": "item",
    }
