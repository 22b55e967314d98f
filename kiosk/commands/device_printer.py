"""``kiosk device print-test --printer URI``: a test receipt with Chinese text, a QR code and the printer's status."""

from __future__ import annotations

import argparse


def register(cli) -> None:
    p = cli.command("device", "print-test", help="print a test receipt (Chinese text, QR, status) and report status")
    p.add_argument("--printer", required=True, metavar="URI",
                   help="tcp://host:9100, serial:///dev/ttyUSB0?baudrate=9600, usb://VID:PID, file:///path/out.bin")
    p.add_argument("--paper", default="58", choices=["58", "80"], help="paper width in mm (default 58)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds for the whole job (default 30)")
    p.set_defaults(func=_print_test)


def _print_test(args: argparse.Namespace) -> int:
    from drivers.contract import Code
    from drivers.printer import KeyValue, ThermalPrinter, paper_named, render_text
    from drivers.printer.sample import standard_receipt

    printer = ThermalPrinter(args.printer, paper=paper_named(args.paper))
    printer.open()
    try:
        before = printer.refresh_status(timeout=5).result(10)
        fields = printer.status().fields
        status_line = "未知 (unknown)" if fields.get("answering") is None else (
            f"纸张 {fields.get('paper')} · 上盖 {'开' if fields.get('cover_open') else '关'} · "
            f"{'在线' if fields.get('online') else '离线'}")
        receipt = standard_receipt("TEST-0001", extra=[KeyValue("打印机状态", status_line),
                                                      KeyValue("打印机", args.printer)])
        receipt.title = "打印测试 通办"
        print(render_text(receipt, printer.paper), end="")
        if not before.ok and before.code is not Code.UNSUPPORTED:
            print(f"status: {before.code}: {before.detail}")
        done = printer.print_receipt(receipt, timeout=args.timeout).result(args.timeout + 5)
        status = printer.status()
        print(f"status: {status.state} {status.detail} {dict(status.fields)}")
        if not done.ok:
            print(f"print failed: {done.code}: {done.detail}")
            return 1
        print(f"printed: {done.value.summary()}, {done.value.paper_mm:.0f} mm of paper")
        return 0
    finally:
        printer.close()
