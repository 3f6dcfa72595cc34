"""Source headers to canonical columns, and which canonical table a file is.

Real extracts name their columns in Chinese and in many ways; the built-in table below
covers the common names, and a JSON mapping file (``{"源列名": "canonical_column"}``, a
null value to ignore a column) covers the rest and wins over the built-in names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from graphscan.i18n import t
from graphscan.schema import TABLES

#: Extra canonical column of a reversal row (冲销): the claim it reverses.
REVERSES = "reverses_claim_id"

#: canonical column -> accepted header names (first listed wins when a file has several).
ALIASES: dict[str, tuple[str, ...]] = {
    "claim_id": ("结算ID", "结算编号", "结算流水号", "就诊ID", "就诊流水号", "单据号"),
    "kind": ("就诊类型", "医疗类别", "就医类型", "结算类型", "机构类型", "机构类别"),
    "person_id": (
        "个人编号",
        "人员编号",
        "参保人编号",
        "身份证号",
        "身份证号码",
        "证件号码",
        "公民身份号码",
    ),
    "card_id": ("医保卡号", "社保卡号", "卡号", "医保电子凭证号"),
    "provider_id": (
        "定点机构编码",
        "定点医药机构编码",
        "定点医药机构编号",
        "机构编码",
        "医疗机构编码",
        "医院编码",
        "药店编码",
        "所属机构编码",
    ),
    "doctor_id": ("医师编码", "医保医师编码", "医生编码", "开方医师编码", "处方医师编码"),
    "operator_id": ("操作员", "操作员编码", "操作员工号", "收款员"),
    "start_time": (
        "就诊时间",
        "入院时间",
        "结算时间",
        "购药时间",
        "刷卡时间",
        "就诊日期",
        "入院日期",
        "结算日期",
    ),
    "end_time": ("出院时间", "出院日期"),
    "diagnosis_code": ("诊断编码", "主诊断编码", "出院诊断编码", "疾病编码"),
    "total_amount": ("医疗总费用", "总费用", "费用总额", "医疗费总额", "总金额"),
    "fund_amount": ("统筹支付", "统筹基金支付", "基金支付", "统筹支付金额"),
    "account_amount": ("个人账户支付", "个账支付", "个人账户支出"),
    "cash_amount": ("现金支付", "个人现金支付", "现金支付金额"),
    REVERSES: ("原结算ID", "原结算编号", "原结算流水号", "被冲销结算ID", "original_claim_id"),
    "item_code": ("项目编码", "药品编码", "医保目录编码", "项目代码"),
    "line_no": ("明细序号", "明细行号", "费用明细流水号", "明细流水号", "feedetl_sn"),
    "item_name": ("项目名称", "药品名称"),
    "item_kind": ("项目类别", "收费类别", "费用类别"),
    "quantity": ("数量",),
    "unit_price": ("单价",),
    "amount": ("金额", "明细金额", "项目金额"),
    "sex": ("性别",),
    "birth_date": ("出生日期",),
    "region_code": ("行政区划", "行政区划代码", "区划代码", "统筹区编码", "地区编码"),
    "poverty_flag": ("贫困户标识", "建档立卡标识", "是否贫困户", "贫困标志"),
    "death_date": ("死亡日期",),
    "phone_key": ("联系电话", "手机号", "手机号码", "电话"),
    "address_key": ("住址", "家庭住址", "联系地址", "地址"),
    "bank_key": ("银行账号", "银行卡号"),
    "name": ("名称", "机构名称", "医师姓名", "姓名"),
    "level": ("机构等级", "医院等级", "等级"),
    "ownership": ("所有制", "经济类型", "所有制形式"),
    "specialty": ("科室", "专业", "执业类别"),
}

CANONICAL = {name for table in TABLES.values() for name in table.names} | {REVERSES}


def normalise(header: str) -> str:
    return re.sub(r"[\s_\-()（）\ufeff]", "", header).lower()


_BUILT_IN = {normalise(alias): c for c, aliases in ALIASES.items() for alias in aliases}
_BUILT_IN.update({normalise(c): c for c in CANONICAL})
_PRIORITY = {normalise(a): i for aliases in ALIASES.values() for i, a in enumerate(aliases)}


def read_mapping(path: str | Path | None) -> dict[str, str | None]:
    """The user's mapping file: a JSON object of source header -> canonical column."""
    if path is None:
        return {}
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ValueError(
            t("映射文件 {p} 不是合法 JSON: {e}", "mapping file {p} is not JSON: {e}", p=path, e=exc)
        ) from None
    if not isinstance(raw, dict):
        raise ValueError(t("映射文件必须是 JSON 对象", "the mapping file must be a JSON object"))
    unknown = sorted({v for v in raw.values() if v is not None and v not in CANONICAL})
    if unknown:
        raise ValueError(
            t(
                "映射文件中未知的规范列: {c}",
                "unknown canonical columns in the mapping file: {c}",
                c=", ".join(unknown),
            )
        )
    return {normalise(k): v for k, v in raw.items()}


@dataclass(frozen=True)
class ColumnMap:
    """Which source column feeds which canonical column, and which are ignored."""

    table: str
    sources: dict[str, int]  # canonical column -> position of its source column
    headers: tuple[str, ...]  # all source headers, in file order
    ignored: tuple[str, ...]


def map_headers(
    headers: list[str], mapping: dict[str, str | None], table: str | None = None
) -> ColumnMap:
    """Map headers, then pick the table with most mapped columns (or ``table``) and check
    that every required column of it is present."""
    candidates: dict[str, tuple[int, int]] = {}
    for position, header in enumerate(headers):
        key = normalise(header)
        target = mapping[key] if key in mapping else _BUILT_IN.get(key)
        if target is None:
            continue
        rank = (-1 if key in mapping else _PRIORITY.get(key, 0), position)
        if target not in candidates or rank < candidates[target]:
            candidates[target] = rank
    mapped = {c: position for c, (_, position) in candidates.items()}
    chosen = table or _guess_table(set(mapped))
    if chosen not in TABLES:
        raise ValueError(t("未知的表 {t}", "unknown table {t}", t=chosen))
    allowed = set(TABLES[chosen].names) | ({REVERSES} if chosen == "claims" else set())
    sources = {c: p for c, p in mapped.items() if c in allowed}
    missing = [c for c in TABLES[chosen].required if c not in sources]
    if missing:
        raise ValueError(
            t(
                "识别为 {t} 表, 但缺少列: {m} (可用 --mapping 指定列名)",
                "looks like the {t} table but lacks columns: {m} (name them with --mapping)",
                t=chosen,
                m=", ".join(missing),
            )
        )
    used = set(sources.values())
    ignored = tuple(h for i, h in enumerate(headers) if i not in used)
    return ColumnMap(chosen, sources, tuple(headers), ignored)


def _guess_table(mapped: set[str]) -> str:
    """The table whose required columns are all there, with most mapped columns; failing
    that, the one with most mapped columns (whose missing ones are then named)."""
    best = max(
        TABLES.values(),
        key=lambda spec: (set(spec.required) <= mapped, len(mapped & set(spec.names))),
    )
    if not mapped & set(best.names):
        raise ValueError(
            t(
                "无法识别文件对应的表 (没有认识的列名); 请用 --table 或 --mapping",
                "cannot tell which table this file is (no known headers); use --table or --mapping",
            )
        )
    return best.name
