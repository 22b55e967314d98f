"""Evaluation (好差评) after every service: a submission, a guide consulted, a progress lookup. Five faces from
非常满意 to 非常不满意; the two lowest need at least one reason (configured ``evaluation.reasons``, shown in the
resident's language through gettext, sent as the national indicator codes of kiosk.evaluation_codes); an
optional comment typed on the keyboard."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.applications.progress import evaluation_problem
from kiosk.evaluation_codes import reason_label
from kiosk.i18n import N_
from screens.widgets import KGhostButton, KioskScreen

LEVELS = (
    (5, N_("Very satisfied")),
    (4, N_("Satisfied")),
    (3, N_("Fairly satisfied")),
    (2, N_("Dissatisfied")),
    (1, N_("Very dissatisfied")),
)
# What is being rated, in the resident's words.
SERVICES = {
    "application": N_("Rating: this application"),
    "guide": N_("Rating: the service guide you read"),
    "progress": N_("Rating: the progress lookup"),
}
COMMENT_MAX = 500


class FaceButton(ButtonBehavior, BoxLayout):
    level: int = NumericProperty(3)
    selected_level: int = NumericProperty(0)
    chosen: bool = BooleanProperty(False)
    ink = ListProperty([0.0, 0.0, 0.0, 1.0])  # the face's and caption's colour (contrasting with the fill)
    caption_room: float = NumericProperty(0)  # the tallest of the five captions: every face the same size


class ReasonToggle(KGhostButton):
    reason: str = StringProperty("")  # the code the platform receives
    label: str = StringProperty("")  # what the button says, in the resident's language (configuration)
    chosen: bool = BooleanProperty(False)


class EvaluateScreen(KioskScreen):
    level: int = NumericProperty(0)
    reasons = ListProperty([])  # chosen reason codes
    sendable: bool = BooleanProperty(False)  # the 好差评 rule (kiosk.applications.progress) holds: Send is enabled
    service: str = StringProperty("application")
    comment: str = StringProperty("")
    commenting: bool = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(prompt="How satisfied are you? Touch a face", **kwargs)
        self._application_no: str | None = None

    def on_kv_post(self, base_widget) -> None:
        super().on_kv_post(base_widget)
        for face in self._faces():
            face.ids.words.bind(texture_size=self.even_captions)

    def _faces(self) -> list[FaceButton]:
        return [self.ids[f"face{level}"] for level in range(1, 6)]

    def even_captions(self, *_args: object) -> None:
        """Every face gets the tallest caption's room (English captions wrap unevenly)."""
        faces = self._faces()
        room = max(face.ids.words.texture_size[1] for face in faces)
        for face in faces:
            face.caption_room = room

    def rate_service(self, service: str, application_no: str | None = None) -> None:
        """Rate a guide or a progress lookup next (the default, after a receipt, is the application)."""
        self.service, self._application_no = service, application_no

    def on_pre_enter(self, *_args: object) -> None:
        if self.journey.session.submission is not None and self.service == "application":
            self._application_no = None
        self.build_reasons()

    def build_reasons(self) -> None:
        """One toggle per configured reason, labelled in the resident's language."""
        box = self.ids.reasons
        box.clear_widgets()
        for code in self.app.core.settings.evaluation.reasons:
            toggle = Factory.ReasonToggle(reason=code, label=self.app.core.t(reason_label(code)))
            toggle.chosen = code in self.reasons
            toggle.bind(on_release=lambda b: self.toggle_reason(b.reason))
            box.add_widget(toggle)

    def pick(self, level: int) -> None:
        self.level = level
        if level > 2:
            self.reasons = []
        for toggle in self.ids.reasons.children:
            toggle.chosen = toggle.reason in self.reasons

    def toggle_reason(self, reason: str) -> None:
        self.reasons = [r for r in self.reasons if r != reason] if reason in self.reasons else [*self.reasons, reason]
        for toggle in self.ids.reasons.children:
            toggle.chosen = toggle.reason in self.reasons

    @property
    def can_send(self) -> bool:
        return evaluation_problem(self.level, list(self.reasons)) is None  # the one 好差评 rule

    def on_level(self, *_args: object) -> None:
        self.sendable = self.can_send

    def on_reasons(self, *_args: object) -> None:
        self.sendable = self.can_send

    def on_landscape(self, *_args: object) -> None:
        """The keyboard goes under the reasons in landscape (the comment and the actions beside it), under the
        comment in portrait. What is rated goes above the comment in landscape: the faces and the reasons take the
        left column's height (elder landscape's faces were a third of the faces in portrait)."""
        keyboard, rated, left, right = self.ids.keyboard, self.ids.rated, self.ids.left, self.ids.right
        target = left if self.landscape else right
        if keyboard.parent != target:  # ids are weak proxies: compare by equality, not identity
            keyboard.parent.remove_widget(keyboard)
            # Kivy counts the index from the last child: above the column's filler (left), under the comment (right)
            target.add_widget(keyboard, index=1 if self.landscape else 3)
        home = right if self.landscape else left
        if rated.parent != home:
            rated.parent.remove_widget(rated)
            home.add_widget(rated, index=len(home.children))  # first in its column

    # -- the optional comment: on the Chinese keyboard (handwriting, pinyin, digits), as on the form --------
    def toggle_comment(self) -> None:
        self.commenting = not self.commenting
        keyboard = self.ids.keyboard
        keyboard.reset()
        if self.commenting:
            keyboard.mode = "handwriting" if self.app.elder else "pinyin"

    def append(self, text: str) -> None:
        self.comment = (self.comment + text)[:COMMENT_MAX]

    def delete(self) -> None:
        self.comment = self.comment[:-1]

    def erase(self) -> None:
        self.comment = ""

    # -- done ---------------------------------------------------------------------------------------------
    def send(self) -> None:
        if not self.can_send:
            return
        self.journey.evaluate(self.level, list(self.reasons), self.comment, service=self.service,
                              application_no=self._application_no)  # fmt: skip
        self.app.navigate("goodbye")

    def skip(self) -> None:
        self.app.navigate("goodbye")

    def wipe(self) -> None:
        self.level = 0
        self.reasons = []
        self.comment = ""
        self.ids.keyboard.close()
        self.commenting = False
        self.service, self._application_no = "application", None
