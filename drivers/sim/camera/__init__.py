"""Camera simulator: generated scene videos with ground truth, and faults (missing, unplugged, black)."""

from drivers.sim.camera.faults import UnplugRig, missing_source
from drivers.sim.camera.scenes import QR_PAYLOAD_CN, QR_PAYLOAD_URL, SCENES, Scene, render
from drivers.sim.camera.video import DEFAULT_SCENES, load_truth, make_video, scene_names, scene_video, truth_path

__all__ = [
    "DEFAULT_SCENES",
    "QR_PAYLOAD_CN",
    "QR_PAYLOAD_URL",
    "SCENES",
    "Scene",
    "UnplugRig",
    "load_truth",
    "make_video",
    "missing_source",
    "render",
    "scene_names",
    "scene_video",
    "truth_path",
]
