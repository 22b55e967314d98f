"""Kivy settings that must be in place before the Window exists (size, fullscreen, no exit on Escape).

Import this module, call ``configure``, and only then import anything that creates the Window.
"""

from __future__ import annotations

import os


def configure(size: tuple[int, int], fullscreen: bool) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # the kiosk's own argparse owns the command line
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_level", "warning")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "resizable", "0")
    # Mesa's software renderer (llvmpipe, used offscreen and on kiosks without a GPU driver) keeps scene
    # buffers per rasteriser thread: one thread draws this mostly static UI as fast and saves ~170 MB.
    # Hardware GL drivers ignore the variable.
    os.environ.setdefault("LP_NUM_THREADS", "0")
