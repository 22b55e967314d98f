"""Loaded by the kiosk under test through PYTHONPATH (tests/field only): the test's hands inside the running
``kiosk run``. The kiosk listens on the unix socket ``TONGBAN_TEST_DRIVE``; each line the test sends is Python
run on the UI thread (Kivy's clock, as a touch would be) with ``app`` the running app; the line back is JSON:
``{"ok": true, "result": <the snippet's ``result``>}`` or ``{"ok": false, "error": <traceback>}``. The kiosk
itself runs as shipped: staff PIN pads, journeys and stores are the real ones."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import traceback

_PATH = os.environ.get("TONGBAN_TEST_DRIVE", "")


def _run_on_ui_thread(code: str) -> dict[str, object]:
    from kivy.app import App
    from kivy.clock import Clock

    done = threading.Event()
    answer: dict[str, object] = {}

    def run(_dt: float) -> None:
        scope: dict[str, object] = {"app": App.get_running_app()}
        try:
            exec(code, scope)  # test code from the test process, on a private socket
            answer.update(ok=True, result=scope.get("result"))
        except Exception:
            answer.update(ok=False, error=traceback.format_exc())
        done.set()

    Clock.schedule_once(run, 0)
    if not done.wait(60):
        return {"ok": False, "error": "the UI thread did not run the step within 60 s"}
    return answer


def _app_running() -> bool:
    app_class = getattr(sys.modules.get("kivy.app"), "App", None)  # None while kivy.app is being imported
    return app_class is not None and app_class.get_running_app() is not None


def _serve() -> None:
    """Bound once the kiosk's app runs: every Python process of the service loads this file (the compositor's
    stand-in too), only the one with a running Kivy app answers."""
    while not _app_running():
        time.sleep(0.1)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(_PATH)
    server.listen(1)
    while True:
        connection, _ = server.accept()
        with connection, connection.makefile("rwb") as stream:
            for line in stream:
                answer = _run_on_ui_thread(json.loads(line)["code"])
                stream.write(json.dumps(answer, ensure_ascii=False, default=str).encode() + b"\n")
                stream.flush()


if _PATH:
    threading.Thread(target=_serve, name="test-drive", daemon=True).start()
