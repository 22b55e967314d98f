"""A representative receipt (masked values, as the kiosk fills it) for the print test, tests and the bench."""

from __future__ import annotations

from drivers.printer.document import QR, KeyValue, Receipt, Section, Text


def standard_receipt(application_no: str = "TB20240601-000123", extra: list[KeyValue] | None = None) -> Receipt:
    return Receipt(
        title="通办 受理回执",
        sections=[
            Section("办理信息", [
                KeyValue("申请编号", application_no),
                KeyValue("办理事项", "居民身份证换领（有效期满换领）"),
                KeyValue("申请人", "张*明"),
                KeyValue("证件号码", "110101********1234"),
                KeyValue("联系电话", "138****5678"),
                KeyValue("受理时间", "2024-06-01 09:30"),
                KeyValue("承诺办结", "2024年6月15日前"),
                KeyValue("收费", "¥20.00"),
                *(extra or []),
            ]),
            Section("后续", [
                Text("新证件制作完成后将短信通知您，请凭本回执和原身份证到一楼3号窗口领取。"),
                QR(f"https://tb.gov.cn/q/{application_no}", module=6, ec="M", caption="扫码查询办理进度"),
            ]),
        ],
        footer=["通办 24小时自助服务 — 谢谢使用", "咨询电话：12345"],
    )
