"""The kiosk side of the exactly-once test, run as its own process (and killed with SIGKILL at random points).

Usage: kiosk_process.py DATA_DIR URL TOKEN VERIFICATION_ID COUNT
Queues applications 0..COUNT-1 (continuing after what earlier, killed runs queued), delivers everything,
prints "done" and exits 0.
"""

from __future__ import annotations

import sys

from kiosk.platform import PlatformClient
from kiosk.platform.outbox import Outbox

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60


def main(data_dir: str, url: str, token: str, verification_id: str, count: str) -> int:
    outbox = Outbox(
        data_dir, PlatformClient(url, token, "K0001", timeout=(2.0, 5.0)), "K0001", backoff_base=0.01, backoff_cap=0.1
    )
    outbox.start()
    queued = len(outbox.pending()) + len(outbox.delivered()) + len(outbox.failed())
    for seq in range(queued, int(count)):
        application = {
            "verification_id": verification_id,
            "items": ["ITEM-001"],
            "bundle": None,
            "applicant": {
                "id_type": "resident",
                "id_number": "110105199003071239",
                "name": "张伟",
                "phone": "13800138000",
                "region_code": "110105",
            },
            "agent": None,
            "materials": [
                {"code": "photo", "provided_as": "file", "file_index": 0},
                {"code": "signature", "provided_as": "commitment", "signature_file_index": 1},
            ],
            "form": {"seq": seq},
            "handling_region_code": "110105",
        }
        reference = outbox.enqueue_application(
            [(JPEG + bytes([seq % 256]), "image/jpeg"), (b"%PDF-1.4 " + str(seq).encode(), "application/pdf")],
            application,
        )
        print(f"queued {seq} {reference}", flush=True)
    if not outbox.wait_idle(120):
        return 1
    print("done", flush=True)
    outbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
