"""``kiosk sim printer``: the ESC/POS printer emulator on loopback TCP, rendering each job to a PNG."""

from __future__ import annotations

import argparse


def register(cli) -> None:
    p = cli.command("sim", "printer", help="run the ESC/POS receipt printer emulator until stopped")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    p.add_argument("--out", required=True, help="folder for job-NNNN.png pictures")
    p.add_argument("--paper", default="58", choices=["58", "80"])
    p.add_argument("--fault", action="append", default=[], metavar="NAME[=VALUE]",
                   help="inject a fault: paper_out=N, paper_near_end, cover_open, offline, cutter_error, "
                        "no_answer, slow=SECONDS, reset=BYTES (repeatable)")
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from drivers.sim.printer import FAULTS, PrinterEmulator

    emu = PrinterEmulator(args.host, args.port, out_dir=args.out, dots=384 if args.paper == "58" else 576)
    for spec in args.fault:
        name, _, value = spec.partition("=")
        if name not in FAULTS:
            print(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
            return 2
        emu.set_fault(name, float(value) if value else True)
    emu.start()
    print(emu.address, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    seen = 0
    try:
        while not stop.wait(0.2):
            for job in emu.jobs[seen:]:
                state = "complete" if job.complete else f"incomplete ({job.fault or 'no cut'})"
                print(f"job {job.index}: {len(job.lines)} lines, {len(job.qr_payloads)} QR, {state} -> {job.png}",
                      flush=True)
            seen = len(emu.jobs)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0
