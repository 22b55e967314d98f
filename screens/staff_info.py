"""Software and configuration version with the last fleet update's result, a network check of the platform (one
authenticated heartbeat, timed, off the UI thread) and the newest log lines (already free of personal data)."""

from __future__ import annotations

import threading

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk import __version__
from kiosk.staff import PermissionDenied, SessionClosed

LOG_LINES = 40


class StaffInfoScreen(Screen):
    versions: str = StringProperty("")
    network: str = StringProperty("")
    logs: str = StringProperty("")

    def on_enter(self, *_args: object) -> None:
        app = App.get_running_app()
        desk, t = app.staff_desk, app.t
        status = desk.maintenance.config_status(desk.session)
        result = status.get("config_result")
        outcome = t("none yet") if not result else f"{result.get('outcome')} {result.get('reason') or ''}".strip()
        self.versions = "\n".join([
            t("Software version: {v}").format(v=__version__),
            t("Configuration version: {v}").format(v=status.get("config_version")),
            t("Last configuration update: {r}").format(r=outcome),
            t("Kiosk: {id}").format(id=app.core.settings.kiosk.id),
        ])  # fmt: skip
        try:
            lines = desk.maintenance.log_lines(desk.session, LOG_LINES)
        except (PermissionDenied, SessionClosed):
            lines = [t("Not allowed for your role")]
        self.logs = "\n".join(lines[-LOG_LINES:]) or t("No log lines yet")

    def network_check(self) -> None:
        app = App.get_running_app()
        desk, t = app.staff_desk, app.t
        self.network = t("Checking the platform…")

        def work() -> None:
            try:
                result = desk.maintenance.network_check(desk.session)
            except (PermissionDenied, SessionClosed):
                text = t("Not allowed for your role")
            except LookupError:
                text = t("No platform connection is configured")
            else:
                if result.ok:
                    text = t("Platform reachable, answered in {ms} ms").format(ms=round(result.latency_ms))
                else:
                    text = t("Platform not reachable: {error}").format(error=result.error[:160])
            Clock.schedule_once(lambda _dt: setattr(self, "network", text))

        threading.Thread(target=work, name="staff-network-check", daemon=True).start()
