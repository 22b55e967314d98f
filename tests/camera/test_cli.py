"""The camera CLI commands on the simulator."""

from __future__ import annotations

import json

from kiosk.cli import main


def test_sim_camera_writes_video_and_truth(tmp_path, capsys):
    out = tmp_path / "clip.avi"
    assert main(["sim", "camera", "--out", str(out), "--scene", "qr", "document", "--size", "320x240",
                 "--seconds", "0.2"]) == 0
    truth = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert [s["name"] for s in truth["scenes"]] == ["qr", "document"]
    assert len(truth["scenes"][1]["document_corners"]) == 4
    assert main(["sim", "camera", "--list"]) == 0
    assert "document_glare" in capsys.readouterr().out


def test_sim_camera_refuses_unknown_scene_and_bad_size(tmp_path):
    assert main(["sim", "camera", "--out", str(tmp_path / "x.avi"), "--scene", "nope"]) == 2
    assert main(["sim", "camera", "--out", str(tmp_path / "x.avi"), "--size", "big"]) == 2
    assert not (tmp_path / "x.avi").exists()


def test_camera_test_on_the_simulator_saves_everything(tmp_path):
    out = tmp_path / "report"
    assert main(["device", "camera-test", "--source", "sim:qr,face,document", "--out", str(out),
                 "--width", "640", "--height", "480", "--timeout", "4"]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["qr"][0]["text"].startswith("通办预约")
    assert report["face"]["reason"] == "ok"
    assert report["document"]["reason"] == "ok"
    for name in ("frame.jpg", "face.jpg", "document.jpg"):
        assert (out / name).read_bytes()[:2] == b"\xff\xd8"


def test_camera_test_without_a_camera_says_so(tmp_path, capsys):
    out = tmp_path / "none"
    assert main(["device", "camera-test", "--source", str(tmp_path / "missing.avi"), "--out", str(out),
                 "--timeout", "1.5"]) == 1
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["status"]["state"] == "no_device"
    assert "not ready" in capsys.readouterr().out
