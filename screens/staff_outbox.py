"""The outbox (applications and evaluations waiting to be sent, and those the platform refused for good, with retry
and export) and the recent receipts, reprinted marked 补打."""

from __future__ import annotations

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk import clock
from kiosk.staff import PermissionDenied, SessionClosed
from screens.staff_widgets import N_

JOB_KINDS = {"application": N_("application"), "evaluation": N_("evaluation")}


class StaffOutboxScreen(Screen):
    result: str = StringProperty("")

    def on_enter(self, *_args: object) -> None:
        self.result = ""
        self.refresh()

    def _guard(self, work) -> object:
        app = App.get_running_app()
        try:
            return work(app.staff_desk)
        except (PermissionDenied, SessionClosed):
            self.result = app.t("Not allowed for your role")
        except LookupError:
            self.result = app.t("That device is not configured")
        return None

    def refresh(self) -> None:
        app = App.get_running_app()
        t = app.t
        jobs = self._guard(lambda desk: desk.maintenance.outbox_jobs(desk.session)) or ([], [])
        pending, failed = jobs
        lines = [t("Waiting to be sent: {n}").format(n=len(pending))]
        for job in pending[:20]:
            kind = t(JOB_KINDS.get(job.kind, job.kind))
            lines.append(f"{job.reference} · {kind} · " + t("attempts {n}").format(n=job.attempts))
        self.ids.pending.text = "\n".join(lines)
        rows = self.ids.failed
        rows.clear_widgets()
        self.ids.failed_heading.text = t("Refused by the platform: {n}").format(n=len(failed))
        for job in failed[:20]:
            row = Factory.StaffRow()
            row.ids.text.text = f"{job.reference} · {t(JOB_KINDS.get(job.kind, job.kind))} · {job.last_error or ''}"
            row.ids.button.text = t("Retry")
            row.ids.button.bind(on_release=lambda _b, job_id=job.id: self.retry(job_id))
            row.job_id = job.id
            rows.add_widget(row)
        receipts = self._guard(lambda desk: desk.maintenance.recent_receipts(desk.session)) or []
        rows = self.ids.receipts
        rows.clear_widgets()
        self.ids.receipts_heading.text = t("Receipts of the last {h} hours: {n}").format(
            h=app.core.settings.service.reprint_keep_h, n=len(receipts)
        )
        for kept in receipts[:30]:
            row = Factory.StaffRow()
            when = clock.stamp(kept.printed_at, "%m-%d %H:%M")
            row.ids.text.text = f"{kept.reference} · {when}"
            row.ids.button.text = t("Reprint (补打)")
            row.ids.button.bind(on_release=lambda _b, ref=kept.reference: self.reprint(ref))
            row.reference = kept.reference
            rows.add_widget(row)

    def retry(self, job_id: int) -> None:
        t = App.get_running_app().t
        if self._guard(lambda desk: desk.maintenance.retry(desk.session, job_id) or True):
            self.result = t("Sending again")
        self.refresh()

    def export(self) -> None:
        t = App.get_running_app().t
        exported = self._guard(lambda desk: desk.maintenance.export_failed(desk.session))
        if exported is not None:
            self.result = t("{n} refused items written to {path}").format(n=exported.count, path=exported.path)

    def reprint(self, reference: str) -> None:
        t = App.get_running_app().t
        try:
            command = self._guard(lambda desk: desk.maintenance.reprint(desk.session, reference))
        except KeyError:
            self.result = t("That receipt is no longer kept")
            self.refresh()
            return
        if command is None:
            return
        self.result = t("Printing…")

        def done(completion) -> None:
            self.result = t("Reprinted") if completion.ok else t("Print failed: {code}").format(code=completion.code)

        App.get_running_app().when_done(command, done)
