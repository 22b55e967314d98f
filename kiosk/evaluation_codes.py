"""The national 政务服务"好差评" vocabulary: the five levels and the reasons a poor rating names, as the values the
platform receives; the resident reads them through gettext (zh_CN, en).

Sources:
- 国务院办公厅《关于建立政务服务"好差评"制度提高政务服务水平的意见》(国办发〔2019〕51号): five levels, 非常满意,
  满意, 基本满意, 不满意, 非常不满意; a 差评 (不满意, 非常不满意) is followed up and rectified.
- The 政务服务"好差评"评价内容标准 that the national integrated platform's provinces adopted with it (the same
  indicator table is quoted in provincial 实施方案): level one 整体满意度; level two, offline channels (实体大厅,
  自助办理终端) 服务效率, 服务水平, 服务态度, online channels 办事效率, 办事指南精确度, 办事便捷度, 平台操作性.
  A self-service terminal is an offline channel whose service is delivered by a machine, so both rows apply.
- GB/T 39735-2020《政务服务评价工作指南》and GB/T 39734-2020《政务服务"一次一评""一事一评"工作规范》frame the
  evaluation content; their text was not available here.

A published list of machine codes for these indicators (a 数据规范 code table) could not be found: the codes below
are this project's stable ASCII names, one for each national level-two indicator, mapped 1:1 and documented in
docs/platform-api.yaml. A gateway that needs other codes translates them there, never the labels. Levels are sent as
the number of stars of the national 评价等级 table (5 非常满意 … 1 非常不满意).
"""

from __future__ import annotations

from kiosk.i18n import N_

LEVEL_NAMES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

# code → (the national level-two indicator, what the resident touches: a gettext message id), in the order shown:
# at a self-service terminal the machine and the guide come first
REASONS: dict[str, tuple[str, str]] = {
    "operability": ("平台操作性", N_("The machine was hard to use or failed")),
    "guide_accuracy": ("办事指南精确度", N_("The guide was wrong or unclear")),
    "convenience": ("办事便捷度", N_("Too many steps, not convenient")),
    "service_efficiency": ("服务效率", N_("It took too long")),
    "service_level": ("服务水平", N_("My problem was not solved")),
    "service_attitude": ("服务态度", N_("Poor service attitude")),
}
# codes this project sent before it used the national indicators: a configuration naming them still loads
FORMER_CODES = {"attitude": "service_attitude", "efficiency": "service_efficiency", "process": "convenience",
                "guide_info": "guide_accuracy", "facility": "operability"}  # fmt: skip


def reason_label(code: str) -> str:
    """The message id of a reason's label (the code itself for an unknown one: shown, never invented)."""
    entry = REASONS.get(code)
    return entry[1] if entry is not None else code
