"""The item guide: time limit, fees and visits at a glance, then every element of the national guide in its own
section (办理方式, 申请条件, 材料 with 原件/复印件, count, source and 样表, 身份证件, 办理流程, 时限, 收费, 设定依据,
结果, 地点和时间, 咨询和投诉), then "在本机办理" or where to go instead (the counter, or 社区通办 routing)."""

from __future__ import annotations

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.modalview import ModalView

from screens.widgets import KButton, KioskScreen


def material_facts(material, t, words) -> str:
    """原件/复印件, count, source and the kiosk's markers of one material, on one line (``words``: the catalog's
    vocabulary in the resident's language, ``Kiosk.catalog_t``)."""
    markers = material_markers(material, t, source_said=material.source.value == "电子证照")
    facts = [words(material.form.value), t("{n} copies").format(n=material.count) if material.count > 1 else "",
             words(material.source.value), markers]
    return " · ".join(f for f in facts if f)


def limit_text(item, t) -> str:
    return t("done on the spot") if item.promised_days == 0 else t("{days} working days").format(
        days=item.promised_days)


def identity_documents(target) -> list[str]:
    accepted = [set(item.identity_documents) for item in target.items]
    order = target.items[0].identity_documents
    return [d.value for d in order if all(d in a for a in accepted)]


def handling_lines(target, t) -> list[str]:
    """Where it is done and who handles it: this machine or a counter, the routing rule, 社区通办."""
    lines = []
    if target.at_terminal:
        lines.append(t("Can be done at this machine"))
    elif target.counter:
        lines.append(target.counter)
    else:
        lines.append(t("At the counter: {place}").format(place=target.items[0].place))
    for item in target.items:
        prefix = f"{item.name}：" if target.kind == "bundle" else ""
        rule = {"户籍地": t("Handled by the office of your household registration"),
                "经常居住地": t("Handled where you live, whatever your household registration"),
                "参保地": t("Handled where you are insured"),
                "受理地": t("Handled by the office that accepts it"),
                "全县通办": t("Any service centre of the county accepts it")}[item.routing.value]
        lines.append(prefix + rule)
        if item.community is not None:
            sent = t("Registered elsewhere: accepted here and sent to your home region's {office}")
            lines.append(prefix + sent.format(office=item.community.handling_office))
    return lines


def material_markers(material, t, source_said: bool = False) -> str:
    marks = []
    if material.ecert and not source_said:
        marks.append(t("e-certificate"))
    if material.commitment_allowed:
        marks.append(t("commitment allowed"))
    if material.deferrable:
        marks.append(t("may supply later"))
    if not material.required:
        marks.append(t("optional"))
    return " · ".join(marks)


class GuideSampleButton(KButton):
    """Under a material that has a 样表: opens it."""

    sample: str = StringProperty("")  # catalog-relative path of the filled-in image
    form_name: str = StringProperty("")


class SampleDialog(ModalView):
    """A 样表 image filling the screen; print or close."""

    source: str = StringProperty("")
    title: str = StringProperty("")
    status: str = StringProperty("")

    def print_it(self) -> None:  # replaced by the guide screen with its printer call
        pass


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

        photos = self.journey.needs_photos_here()
        if target.at_terminal and photos and not self.journey.camera_ok:
            self.here = False
            self.elsewhere = t("The camera is out of order, so {what} cannot be photographed here. Please go to: "
                               "{place} ({hours})").format(what="、".join(photos), place=first.place, hours=first.hours)
        elif not target.at_terminal:
            where = target.counter or first.place
            self.elsewhere = t("Not available at this machine. Go to: {place} ({hours}). Phone {phone}").format(
                place=where, hours=first.hours, phone=first.consult_phone)
        else:
            self.elsewhere = ""

        # the national guide's elements, each in its own section, in the order a resident asks about them
        heading(t("How it is handled"))
        for text in handling_lines(target, t):
            bullet(text)
        if target.kind == "bundle":
            heading(t("Services included"))
            for item in target.items:
                bullet(f"{item.name}（{limit_text(item, t)}）")
        heading(t("Who can apply"))
        for item in target.items:
            if target.kind == "bundle":
                line(item.name, muted=True)
            for condition in item.conditions:
                bullet(condition)
        heading(t("Materials"))
        for material in target.materials:
            count = f" ×{material.count}" if material.count > 1 else ""
            bullet(f"{material.name}{count}")
            line("\u3000" + material_facts(material, t, self.app.core.catalog_t), muted=True)
            if material.sample:
                box.add_widget(Factory.GuideSampleButton(
                    text=t("See the filled-in sample form"), sample=material.sample, form_name=material.name,
                    on_release=lambda button: self.show_sample(button.sample, button.form_name)))
        if not target.materials:
            line(t("No materials needed"))
        shared = target.shared_documents
        if shared:
            line(t("Issued by an earlier service of this life event, not needed from you: {names}").format(
                names="、".join(shared)), muted=True)
        heading(t("Identity documents accepted"))
        line("、".join(identity_documents(target)))
        heading(t("Steps"))
        for item in target.items:
            if target.kind == "bundle":
                line(item.name, muted=True)
            for n, step in enumerate(item.process, 1):
                line(f"{n}.\u00a0{step}")
        heading(t("Time limits"))
        for item in target.items:
            prefix = f"{item.name}：" if target.kind == "bundle" else ""
            line(prefix + t("Statutory {statutory} working days; promised: {promised}").format(
                statutory=item.statutory_days, promised=limit_text(item, t)))
        heading(t("Fees"))
        for item in target.items:
            prefix = f"{item.name}：" if target.kind == "bundle" else ""
            line(prefix + (t("Free") if item.fee == "不收费" else item.fee))
            if item.fee_basis:
                line(t("Basis: {basis}").format(basis=item.fee_basis), muted=True)
        heading(t("Legal basis"))
        for basis in dict.fromkeys(b for item in target.items for b in item.legal_basis):
            bullet(basis)
        heading(t("Result"))
        for item in target.items:
            bullet(item.result)
        heading(t("Where and when"))
        for place in dict.fromkeys((i.place, i.hours) for i in target.items):
            line(place[0])
            line(place[1], muted=True)
        heading(t("Enquiries and complaints"))
        for phone in dict.fromkeys(i.consult_phone for i in target.items):
            line(t("Enquiries: {phone}").format(phone=phone))
        for complaint in dict.fromkeys(i.complaint for i in target.items):
            line(t("Complaints: {line}").format(line=complaint))
        self.ids.scroll.scroll_y = 1

    def show_sample(self, rel: str, name: str) -> None:
        """The 样表 on the whole screen, with a button to print it on the receipt printer."""
        root = self.app.services.catalog.root
        if root is None:
            return
        dialog = Factory.SampleDialog(source=str(root / rel), title=name)
        dialog.print_it = lambda: self.print_sample(root / rel, name, dialog)
        dialog.open()

    def print_sample(self, path, name: str, dialog) -> None:
        from PIL import Image

        from drivers.printer import Receipt

        t = self.app.core.t
        printer = self.app.core.devices.get("printer")
        if printer is None or not self.journey.printer_can_print():
            dialog.status = t("The printer cannot print now. Please photograph the sample on the screen")
            return
        with Image.open(path) as picture:
            receipt = Receipt(title=f"{name}（样表）", logo=picture.copy(), footer=[t("Sample only: fill in your own")])
        dialog.status = t("Printing…")
        job = printer.print_receipt(receipt, timeout=30)
        session = self.journey.session

        def done_printing(done) -> None:
            if done.ok and self.journey.session is session:
                self.journey.note_printed("sample")  # goodbye asks to take it
            dialog.status = (t("Printed. Please take it from the printer") if done.ok else
                             t("The printer cannot print now. Please photograph the sample on the screen"))

        job.add_done_callback(lambda done: Clock.schedule_once(lambda _dt: done_printing(done)))

    def apply_here(self) -> None:
        self.app.navigate("identify")

    def rate(self) -> None:
        """好差评 of the guide itself: a resident who only came to read what to bring has been served too."""
        self.app.screen("evaluate").rate_service("guide")
        self.app.navigate("evaluate")
