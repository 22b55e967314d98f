"""UI figures: frame time while scrolling a 500-result list, touch → visible feedback latency, and the whole demo
journey's time excluding scripted waits. Prints figures; ``--json PATH`` writes them for ``make bench``.

A frame's time here is the app's work for it: the clock, input, layout, the result list's recycling and the GL
calls that draw it. GL runs asynchronously, so the GL queue is finished (glFinish) between frames and that wait is
reported on its own as rasterization: on this machine Mesa's software rasterizer (llvmpipe) fills every
1080×1920 frame on the CPU, about 140 ms on two cores, a cost a kiosk's GPU does not have. Without finishing,
that cost lands in whichever frame finds the swap chain full (every third one offscreen), not in the frame that
caused it.

    PYTHONPATH=. python bench/ui.py [--json out.json] [--skip-demo]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ["KIVY_NO_ARGS"] = "1"

os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tongban-bench-kivy-"))


def ui_figures() -> list[dict]:
    from kiosk.launch import start_core
    from screens.bootstrap import configure

    core = start_core(None, Path(tempfile.mkdtemp(prefix="tongban-bench-")))
    configure((1080, 1920), fullscreen=False)
    from kivy.base import EventLoop

    from screens.app import TongbanApp
    from screens.search import item_row

    app = TongbanApp(core)
    app._run_prepare()
    for _ in range(5):
        EventLoop.idle()
    from kivy.uix.screenmanager import NoTransition

    app.root.transition = NoTransition()  # the ScreenManager ignores touches during a transition
    app.navigate("search")
    search = app.root.get_screen("search")
    items = list(app.services.catalog.items)
    rows = [item_row(items[i % len(items)], core.t) for i in range(500)]
    search.ids.results.data = rows
    for _ in range(30):
        EventLoop.idle()
    from kivy.graphics.opengl import glFinish

    frames, raster = [], []
    view = search.ids.results
    glFinish()
    for step in range(240):
        view.scroll_y = 1 - (step % 120) / 119
        began = time.perf_counter()
        EventLoop.idle()
        drawn = time.perf_counter()
        glFinish()
        frames.append((drawn - began) * 1000)
        raster.append((time.perf_counter() - drawn) * 1000)
    frames.sort()
    latencies = []
    key = search.ids.keyboard.keys()["e"]
    for _ in range(30):
        # the press as the ButtonBehavior receives it, then the frame that draws the pressed colour
        glFinish()
        began = time.perf_counter()
        key.state = "down"
        key.dispatch("on_press")
        EventLoop.idle()
        latencies.append((time.perf_counter() - began) * 1000)
        key.state = "normal"
        key.dispatch("on_release")
        EventLoop.idle()
    latencies.sort()
    app.stop()
    return [
        {"name": "scroll_500_results_frame_median", "value": round(statistics.median(frames), 2), "unit": "ms",
         "target": "≤ 16.7"},
        {"name": "scroll_500_results_frame_p95", "value": round(frames[int(len(frames) * 0.95)], 2), "unit": "ms",
         "target": "≤ 33"},
        {"name": "scroll_500_results_software_raster_median", "value": round(statistics.median(raster), 1),
         "unit": "ms", "target": None},  # Mesa llvmpipe on the CPU; a GPU's work on a kiosk
        {"name": "touch_to_feedback_median", "value": round(statistics.median(latencies), 2), "unit": "ms",
         "target": "≤ 100"},
        {"name": "touch_to_feedback_p95", "value": round(latencies[int(len(latencies) * 0.95)], 2), "unit": "ms",
         "target": "≤ 100"},
    ]


def demo_figure() -> dict:
    out = Path(tempfile.mkdtemp(prefix="tongban-bench-demo-"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    subprocess.run([sys.executable, "-m", "kiosk", "demo", "--out", str(out), "--orientation", "portrait"],
                   env=env, check=True, capture_output=True)
    journey = json.loads((out / "journey.json").read_text("utf-8"))
    return {"name": "demo_journey_excluding_scripted_waits", "value": journey["total_s_excluding_waits"],
            "unit": "s", "target": "≤ 60"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    figures = [] if args.skip_demo else [demo_figure()]
    figures = ui_figures() + figures
    for figure in figures:
        print(f"{figure['name']}: {figure['value']} {figure['unit']} (target {figure['target']})")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
