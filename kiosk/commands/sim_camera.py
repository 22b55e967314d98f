"""``kiosk sim camera``: write a simulator video (scenes with ground truth as JSON beside it)."""

from __future__ import annotations

import argparse


def register(cli) -> None:
    p = cli.command("sim", "camera", help="write a camera simulator video with ground truth (FILE.json)")
    p.add_argument("--out", help="video file to write (.avi, Motion-JPEG)")
    p.add_argument("--scene", nargs="+", metavar="NAME", help="scenes in order (default: face document qr)")
    p.add_argument("--fps", type=float, default=15.0)
    p.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT (default 1280x720)")
    p.add_argument("--seconds", type=float, default=2.0, help="seconds per scene (default 2)")
    p.add_argument("--list", action="store_true", help="list the scenes and exit")
    p.set_defaults(func=sim_camera)


def sim_camera(args: argparse.Namespace) -> int:
    from drivers.sim.camera import DEFAULT_SCENES, make_video, scene_names, truth_path

    if args.list:
        print("\n".join(scene_names()))
        return 0
    if not args.out:
        print("sim camera: --out FILE is required")
        return 2
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"sim camera: --size must be WIDTHxHEIGHT, got {args.size!r}")
        return 2
    try:
        truth = make_video(args.out, args.scene or DEFAULT_SCENES, args.fps, (width, height), args.seconds)
    except (ValueError, OSError) as error:
        print(f"sim camera: {error}")
        return 2
    names = ", ".join(s["name"] for s in truth["scenes"])
    print(f"wrote {args.out} ({truth['frames']} frames, {width}x{height}, {names}); truth in {truth_path(args.out)}")
    return 0
