"""The staff menu: a summary of device health and every maintenance action, each gated by the signed-in role."""

from __future__ import annotations

import logging

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.staff import PermissionDenied, SessionClosed
from screens.staff_widgets import N_

log = logging.getLogger(__name__)

class StaffMenuScreen(Screen):
    result: str = StringProperty("")  # the last action's outcome, translated

    def on_enter(self, *_args: object) -> None:
        self.result = ""

    def summary(self, *_bindings: object) -> str:
        app = App.get_running_app()
        desk = app.staff_desk
        if desk.hardware is None:
            return app.t("Devices are not started in this run")
        if desk.degraded_devices:
            return desk.degraded_message()
        return app.t("All required devices are ready")

    def open(self, screen: str) -> None:
        App.get_running_app().root.current = screen

    def _do(self, work, done_message: str) -> None:
        app = App.get_running_app()
        try:
            work(app.staff_desk)
        except (PermissionDenied, SessionClosed):
            self.result = app.t("Not allowed for your role")
            return
        except LookupError:
            self.result = app.t("That device is not configured")
            return
        except OSError:  # e.g. the audit trail or a state file on a full disk: said, not crashed
            log.exception("staff action not done")
            self.result = app.t("Not done: storage full or faulty. Call the maintenance hotline")
            return
        self.result = app.t(done_message)

    def paper_replaced(self) -> None:
        self._do(lambda desk: desk.maintenance.paper_replaced(desk.session),
                 N_("Paper counter reset: a new roll is counted from now"))  # fmt: skip

    def toggle_service(self) -> None:
        desk = App.get_running_app().staff_desk
        if desk.out_of_service:
            self._do(lambda d: d.maintenance.set_out_of_service(d.session, False), N_("The kiosk is in service again"))
        else:
            self._do(lambda d: d.maintenance.set_out_of_service(d.session, True),
                     N_("Out of service: the home screen shows the nearest alternatives"))  # fmt: skip

    def restart(self) -> None:
        self._do(lambda desk: desk.restart(), N_("Restarting…"))

    def exit_to_desktop(self) -> None:
        self._do(lambda desk: desk.exit_to_desktop(), N_("Leaving the kiosk app…"))
