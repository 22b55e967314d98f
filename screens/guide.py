"""The item guide: time limit, fees, visits and materials (with e-certificate / commitment / later markers)
readable at a glance, then "在本机办理" or where to go instead (the counter, or 社区通办 routing)."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from screens.widgets import KioskScreen


def material_markers(material, t) -> str:
    marks = []
    if material.ecert:
        marks.append(t("e-certificate"))
    if material.commitment_allowed:
        marks.append(t("commitment allowed"))
    if material.deferrable:
        marks.append(t("may supply later"))
    if not material.required:
        marks.append(t("optional"))
    return " · ".join(marks)


class GuideScreen(KioskScreen):
    title: str = StringProperty("")
    here: bool = BooleanProperty(False)
    elsewhere: str = StringProperty("")

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Here is what you need. Press the green button to apply at this machine", **kwargs)

    def on_pre_enter(self, *_args: object) -> None:
        self.build_guide()

    def build_guide(self) -> None:
        target = self.journey.session.target
        box = self.ids.content
        box.clear_widgets()
        if target is None:
            return
        t = self.app.core.t
        self.title = target.name
        self.here = target.at_terminal
        first = target.items[0]
        facts = self.ids.facts
        if target.kind == "item":
            days = first.promised_days
            facts.limit = t("Done on the spot") if days == 0 else t("{days} working days").format(days=days)
            facts.fee = t("Free") if first.fee == "不收费" else first.fee
            facts.visits = t("No visit needed") if first.visits == 0 else t("{n} visit(s)").format(n=first.visits)
        else:
            facts.limit = t("{count} services at once").format(count=len(target.items))
            facts.fee = t("Free") if all(i.fee == "不收费" for i in target.items) else t("See each service")
            facts.visits = t("One application")

        def heading(text: str) -> None:
            box.add_widget(Factory.GuideHeading(text=text))

        def line(text: str, muted: bool = False) -> None:
            box.add_widget(Factory.GuideLine(text=text, muted=muted))

        def bullet(text: str) -> None:
            # No-break space: Kivy wraps at spaces, so a plain one left the dot alone above a long hanzi run.
            line("·\u00a0" + text)

        if target.kind == "bundle":
            heading(t("Services included"))
            for item in target.items:
                bullet(item.name)
        heading(t("Materials"))
        for material in target.materials:
            markers = material_markers(material, t)
            count = f" ×{material.count}" if material.count > 1 else ""
            bullet(f"{material.name}{count}")
            if markers:
                line("    " + markers, muted=True)
        if not target.materials:
            line(t("No materials needed"))
        heading(t("Who can apply"))
        for condition in first.conditions[:4]:
            bullet(condition)
        photos = self.journey.needs_photos_here()
        if target.at_terminal and photos and not self.journey.camera_ok:
            self.here = False
            self.elsewhere = t("The camera is out of order, so {what} cannot be photographed here. Please go to: "
                               "{place} ({hours})").format(what="、".join(photos), place=first.place, hours=first.hours)
        elif not target.at_terminal:
            where = first.place
            self.elsewhere = t("Not available at this machine. Go to: {place} ({hours}). Phone {phone}").format(
                place=where, hours=first.hours, phone=first.consult_phone)
        else:
            self.elsewhere = ""
        if first.community is not None:
            heading(t("Registered elsewhere?"))
            line(t("Accepted here and handled by: {office}").format(office=first.community.handling_office))
        heading(t("Where and when"))
        line(first.place, muted=True)
        line(first.hours, muted=True)
        line(t("Enquiries: {phone}").format(phone=first.consult_phone), muted=True)
        self.ids.scroll.scroll_y = 1

    def apply_here(self) -> None:
        self.app.navigate("identify")

    def rate(self) -> None:
        """好差评 of the guide itself: a resident who only came to read what to bring has been served too."""
        self.app.screen("evaluate").rate_service("guide")
        self.app.navigate("evaluate")
