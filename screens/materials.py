"""Materials: what the platform already holds (e-certificates) is ticked; each remaining paper material is
photographed (preview → capture → retake / accept), replaced by a signed commitment on the signature pad, or
marked to be supplied later. Without a camera, materials that need a photograph point to the counter."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.applications import MaterialStatus
from kiosk.i18n import N_
from screens.widgets import KioskScreen

# A material slot's state (kiosk.applications.MaterialSlot.state) in plain words.
STATUS_WORDS = {
    "missing": N_("Still needed"),
    "file": N_("Photographed"),
    "certificate": N_("Fetched as an e-certificate"),
    "commitment": N_("Commitment signed"),
    "deferred": N_("To supply later"),
    "counter": N_("Hand in at the counter"),
}
OPTION_WORDS = {"capture": N_("Take a photo"), "commit": N_("Sign a commitment"), "defer": N_("Supply later"),
                "sign_letter": N_("Sign it on the screen")}
DOC_GUIDANCE = {
    "ok": N_("Hold still…"),
    "no_page": N_("Put the page flat under the camera"),
    "page_too_small": N_("Bring the page closer"),
    "blurry": N_("Hold the page still"),
    "glare": N_("Tilt the page away from the light"),
}
LETTER_TEXT = N_("Authorisation letter: {who}. The person you apply for signs here; by signing they accept what "
                  "the agent hands in and says for them.")
COMMITMENT_TEXT = N_("I promise that I meet the conditions and that the material “{name}” exists and is true. "
                   "I accept the legal consequences if it is not.")


class MaterialsScreen(KioskScreen):
    mode: str = StringProperty("list")  # list | capture | review | sign | sign_letter (代办's 委托书)
    current: str = StringProperty("")  # material code in capture / review / sign
    current_name: str = StringProperty("")
    guidance: str = StringProperty("")
    banner: str = StringProperty("")
    complete: bool = BooleanProperty(False)
    missing_text: str = StringProperty("")  # the materials still to provide, named under the disabled 继续
    sign_text: str = StringProperty("")  # what the signature in sign mode is for (a commitment or 委托书)

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="Hand over your materials. Those fetched for you are already ticked", **kwargs)
        self._shooting = False
        self._captured: bytes | None = None

    def on_pre_enter(self, *_args: object) -> None:
        self.mode = "list"
        self.journey.mark_unavailable()
        self.rebuild()

    def on_leave(self, *_args: object) -> None:
        self._cancel()
        self.ids.preview.blank()

    # -- the list -------------------------------------------------------------------------------------
    def rebuild(self) -> None:
        t = self.app.core.t
        box = self.ids.rows
        box.clear_widgets()
        journey = self.journey
        for slot in journey.session.materials:
            optional = "" if slot.material.required else t(" (optional)")
            row = Factory.MaterialRow(code=slot.code, name=t(journey.material_label(slot)) + optional,
                                      state_text=t(STATUS_WORDS[slot.state]), done=not slot.blocking,
                                      counter=slot.state == "counter")
            actions = row.ids.actions
            if slot.state == "missing":
                for option in journey.options(slot):
                    label = OPTION_WORDS[option]
                    actions.add_widget(Factory.KGhostButton(text=t(label), on_release=lambda _b, o=option,
                                                            c=slot.code: self.act(o, c)))
            elif slot.status in (MaterialStatus.FILE, MaterialStatus.COMMITMENT, MaterialStatus.DEFERRED):
                actions.add_widget(Factory.KGhostButton(text=t("Change"), on_release=lambda _b, c=slot.code:
                                                        self.undo(c)))
            box.add_widget(row)
        self.complete = journey.materials_complete
        missing = [t(journey.material_label(slot)) for slot in journey.session.materials if slot.blocking]
        # Material names are the catalog's Chinese proper names: listed in Chinese; in another language the line
        # counts them (each is marked "Still needed" in the list above) rather than mixing two languages.
        self.missing_text = "" if not missing else t(", ").join(missing) if self.app.core.language == "zh_CN" else t(
            N_("{count} marked above")).format(count=len(missing))
        if journey.needs_counter:
            self.banner = t("The camera is out of order. Materials marked for the counter must be handed in there; "
                            "this application cannot be finished here.")
        else:
            self.banner = ""

    def act(self, option: str, code: str) -> None:
        entry = self.journey.material(code)
        self.current, self.current_name = code, entry.name
        if option == "capture":
            self.start_capture()
        elif option == "commit":
            self.ids.pad.clear()
            self.sign_text = self.app.core.t(COMMITMENT_TEXT).format(name=entry.name)
            self.mode = "sign"
            self.app.say("Read the commitment and sign with your finger in the box")
        elif option == "sign_letter":
            self.ids.pad.clear()
            self.sign_text = self.app.core.t(LETTER_TEXT).format(who=self.journey.authorisation_text())
            self.mode = "sign_letter"
            self.app.say("The person you apply for signs the authorisation with a finger in the box")
        else:
            self.journey.defer(code)
            self.rebuild()

    def undo(self, code: str) -> None:
        self.journey.reset_material(code)
        self.rebuild()

    def proceed(self) -> None:
        if self.complete:  # back to the summary when the resident came from its 修改
            session = self.journey.session
            self.app.navigate("form" if session.target.form and "confirm" not in session.visited else "confirm")

    # -- capture ------------------------------------------------------------------------------------------
    def start_capture(self) -> None:
        camera = self.journey.camera_preview()
        if camera is None or not self.journey.camera_ok:
            self.journey.mark_unavailable()
            self.mode = "list"
            self.rebuild()
            return
        self.mode = "capture"
        self.guidance = self.app.core.t(DOC_GUIDANCE["no_page"])
        self.app.say("Put the page flat under the camera")
        preview = self.ids.preview
        preview.device = camera
        preview.live = True

    def shoot(self) -> None:
        if self._shooting:
            return
        self._shooting = True
        self.guidance = self.app.core.t("Taking the photo…")
        self.journey.capture_document()

    def on_journey(self, payload: dict[str, Any]) -> None:
        what = payload.get("what")
        if what == "guidance" and payload.get("purpose") == "document" and self._shooting:
            self.guidance = self.app.core.t(DOC_GUIDANCE.get(payload.get("reason") or "", DOC_GUIDANCE["no_page"]))
        elif what == "devices" and self.mode == "capture" and not self.journey.camera_ok:
            self.start_capture()  # falls back to the list with counter markers: never a dead screen
        elif what == "document":
            self._shot(bool(payload.get("ok")), payload.get("jpeg"))

    def _shot(self, ok: bool, jpeg: bytes | None) -> None:
        self._shooting = False
        if self.mode != "capture":
            return
        if not ok or jpeg is None:
            self.guidance = self.app.core.t("No clear page was seen. Please try again.")
            if not self.journey.camera_ok:
                self.start_capture()
            return
        self._captured = jpeg
        self.ids.preview.live = False
        self.ids.preview.show_jpeg(self._captured)
        self.mode = "review"
        self.app.say("Is the photo clear? Use it, or take it again")

    def accept(self) -> None:
        if self._captured is not None:
            self.journey.capture(self.current, self._captured)
        self._captured = None
        self.ids.preview.blank()
        self.mode = "list"
        self.rebuild()

    def retake(self) -> None:
        self._captured = None
        self.start_capture()

    # -- commitment -----------------------------------------------------------------------------------------
    def sign(self) -> None:
        pad = self.ids.pad
        if pad.empty:
            return
        if self.mode == "sign_letter":
            self.journey.sign_authorisation(pad.export_png())
        else:
            self.journey.commit(self.current, pad.export_png())
        pad.clear()
        self.mode = "list"
        self.rebuild()

    def back_to_list(self) -> None:
        self._cancel()
        self._captured = None
        self.ids.preview.blank()
        self.ids.pad.clear()
        self.mode = "list"
        self.rebuild()

    def _cancel(self) -> None:
        self._shooting = False
        self.journey.cancel_capture("document")

    def wipe(self) -> None:
        self._cancel()
        self._captured = None
        self.ids.preview.blank()
        self.ids.pad.clear()
        self.ids.rows.clear_widgets()
        self.current = self.current_name = self.guidance = self.banner = self.missing_text = self.sign_text = ""
        self.mode = "list"
