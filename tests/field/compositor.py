"""A stand-in for ``cage -s -- COMMAND`` (the shipped unit's main process): runs COMMAND as its child, passes
SIGTERM on, and exits with the child's status, so the kiosk under test is a child of the service's main process
exactly as on a kiosk, and its ``WATCHDOG_PID`` is not its own."""

from __future__ import annotations

import signal
import subprocess
import sys


def main() -> int:
    child = subprocess.Popen(sys.argv[1:])
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    status = child.wait()
    return 128 - status if status < 0 else status  # killed by signal N: 128 + N, as a shell reports it


if __name__ == "__main__":
    sys.exit(main())
