"""The status board: every supervised device's state, last error, warnings and counters (cards read, receipts and
paper printed, failures by code), refreshed live from the supervisor's status events."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.uix.screenmanager import Screen
from kivy.utils import escape_markup

from kiosk import clock
from screens.staff_desk import DEVICE_LABELS
from screens.staff_widgets import N_

STATE_LABELS = {
    "online": N_("Ready"),
    "busy": N_("Busy"),
    "offline": N_("Offline"),
    "no_device": N_("Not connected"),
    "hardware_error": N_("Hardware fault"),
    "user_error": N_("Needs attention"),
}
WARNING_LABELS = {
    "paper_near_end": N_("Paper near its end"),
    "paper_estimate_low": N_("Paper roll nearly used up"),
    "paper_out": N_("Out of paper"),
}


def counter_lines(counters: dict[str, int], t) -> list[str]:
    lines = []
    if "cards_read" in counters:
        lines.append(t("Cards read: {n}").format(n=counters["cards_read"]))
    if "receipts_printed" in counters:
        lines.append(t("Receipts printed: {n}").format(n=counters["receipts_printed"]))
    if "paper_mm" in counters:
        lines.append(t("Paper since the last roll: {m:.1f} m").format(m=counters["paper_mm"] / 1000))
    failures = {k.split(".", 1)[1]: v for k, v in counters.items() if "failures." in k and v}
    if failures:
        listed = ", ".join(f"{code} ×{n}" for code, n in sorted(failures.items()))
        lines.append(t("Failures: {list}").format(list=listed))
    return lines


class StaffStatusScreen(Screen):
    def on_enter(self, *_args: object) -> None:
        app = App.get_running_app()
        app.staff_desk.bind(status_serial=self.refresh)
        app.bind(lang=self.refresh)
        self.refresh()

    def on_leave(self, *_args: object) -> None:
        app = App.get_running_app()
        app.staff_desk.unbind(status_serial=self.refresh)
        app.unbind(lang=self.refresh)

    def refresh(self, *_args: object) -> None:
        app = App.get_running_app()
        desk, t = app.staff_desk, app.t
        board = self.ids.board
        board.clear_widgets()
        session = desk.session
        healths = desk.maintenance.status(session) if session is not None else []
        if not healths:
            board.add_widget(Factory.StaffLabel(text=t("No devices are supervised in this run")))
        for health in healths:
            state = t(STATE_LABELS.get(str(health.state), str(health.state)))
            if health.unstable:
                state += " · " + t("Unstable (keeps reconnecting)")
            name = t(DEVICE_LABELS.get(health.name, health.name))
            required = t("required") if health.required else t("not required")
            lines = [f"[b]{name}[/b] ({required}): {state}"]
            if health.detail:
                lines.append(t("Detail: {text}").format(text=escape_markup(health.detail)))
            if health.last_error:
                when = clock.stamp(health.last_error_at or 0, "%m-%d %H:%M")
                lines.append(t("Last error: {text} at {when}").format(text=escape_markup(health.last_error), when=when))
            lines += [t(WARNING_LABELS.get(w, w)) for w in health.warnings]
            lines += counter_lines(health.counters, t)
            label = Factory.StaffLabel(text="\n".join(lines))
            label.device = health.name
            label.color = app.theme.color("ok") if health.ready else app.theme.color("danger")
            board.add_widget(label)
