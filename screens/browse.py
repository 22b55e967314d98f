"""Browse from a home tile: a department's items, the 一件事 life events (then one bundle), or 本机可办."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.journey import Target
from screens.search import item_row
from screens.widgets import KioskScreen


class BrowseScreen(KioskScreen):
    title: str = StringProperty("")
    kind: str = StringProperty("department")
    target: str = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Choose your service from the list", **kwargs)

    def show(self, kind: str, target: str, title: str) -> None:
        self.kind, self.target, self.title = kind, target, title
        self.refresh()

    def refresh(self) -> None:
        services, t = self.app.services, self.app.core.t
        if self.kind == "bundle" and not self.target:
            rows = [{"text": b.name, "detail": b.description, "badge": t("Do it here") if b.at_terminal else "",
                     "key": b.code, "kind": "bundle"} for b in services.catalog.bundles]
        elif self.kind == "bundle":
            bundle = services.catalog.bundle(self.target)
            rows = [{"text": t("Apply for all of it at once"), "detail": bundle.description, "key": bundle.code,
                     "kind": "apply_bundle", "badge": t("Do it here") if bundle.at_terminal else ""}]
            rows += [item_row(item, t) for item in bundle.resolved_items]
        elif self.kind == "at_terminal":
            rows = [item_row(item, t) for item in services.index.at_terminal()]
        else:
            rows = [item_row(item, t) for item in services.index.by_department(self.target)]
        self.ids.results.data = rows
        self.ids.results.scroll_y = 1

    def choose(self, kind: str, key: str) -> None:
        services = self.app.services
        if kind == "bundle":
            self.show("bundle", key, services.catalog.bundle(key).name)
            return
        if kind == "apply_bundle":
            services.journey.choose(Target.of_bundle(services.catalog.bundle(key)))
        else:
            services.index.record_use(key)
            services.journey.choose(Target.of_item(services.catalog.item(key)))
        self.app.navigate("guide")
