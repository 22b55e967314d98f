"""The project's own drawings (kiosk/illustrations.py): the committed PNGs are what the script draws."""

from __future__ import annotations

from PIL import Image, ImageChops

from kiosk.illustrations import DRAWINGS, draw_all, path_of


def test_committed_pictures_are_the_scripts_output(tmp_path):
    for fresh in draw_all(tmp_path):
        committed = Image.open(path_of(fresh.stem)).convert("RGBA")
        redrawn = Image.open(fresh).convert("RGBA")
        assert committed.size == redrawn.size == (800, 600)
        assert ImageChops.difference(committed, redrawn).getbbox() is None, fresh.stem


def test_every_picture_shows_something_and_has_no_background():
    for name in DRAWINGS:
        image = Image.open(path_of(name)).convert("RGBA")
        alpha = image.getchannel("A")
        assert alpha.getpixel((0, 0)) == 0  # transparent: it sits on the light and the elder black page alike
        covered = sum(1 for a in alpha.getdata() if a) / (800 * 600)
        assert 0.1 < covered < 0.8, (name, covered)
