"""What a load did, file by file, in numbers that reconcile:
rows read = loaded + reversals netted + exact duplicates skipped + quarantined."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from graphscan.i18n import t

#: reason code -> (Chinese, English); ``{column}`` is the source column concerned.
REASONS: dict[str, tuple[str, str]] = {
    "broken_row": ("列数与表头不符", "wrong number of fields"),
    "stray_quote": (
        "引号不成对: 读取器把这一行与相邻行连成了一条记录",
        "unbalanced quote: the reader ran this line together with its neighbours",
    ),
    "missing_key": ("缺少必填值: {column}", "missing required value: {column}"),
    "bad_time": ("无法解析的时间: {column}", "unparseable time: {column}"),
    "bad_amount": ("无法解析的金额或数量: {column}", "unparseable amount: {column}"),
    "bad_value": ("无法识别的取值: {column}", "unrecognised value: {column}"),
    "unknown_kind": ("未知的类型: {column}", "unknown kind: {column}"),
    "end_before_start": ("出院时间早于入院时间", "discharge before admission"),
    "amounts_mismatch": (
        "金额不平: 总费用 ≠ 统筹 + 个人账户 + 现金",
        "amounts do not add up: total ≠ fund + account + cash",
    ),
    "duplicate_conflict": (
        "重复的 {column}, 内容不同",
        "duplicate {column} with different content",
    ),
    "orphan_reversal": ("冲销记录找不到原结算", "reversal of a claim that is not stored"),
    "reversal_exceeds_claim": (
        "冲销金额超过原结算剩余金额",
        "reversal larger than what is left of its claim",
    ),
    "inexact_id": (
        "标识被存成了数字, 可能已丢失位数: {column}",
        "identifier stored as a number that may have lost digits: {column}",
    ),
    "ambiguous_amount": (
        "金额中的逗号不是千位分隔符 (小数逗号?): {column}",
        "comma in an amount that is not a thousands separator (decimal comma?): {column}",
    ),
    "amount_precision": (
        "小数位数超过可保存的精度: {column}",
        "more decimal places than the column keeps: {column}",
    ),
    "amount_sign": (
        "金额符号不对 (结算不能为负, 冲销不能为正): {column}",
        "amount of the wrong sign (claims are not negative, reversals not positive): {column}",
    ),
    "implausible_time": (
        "时间不在合理范围内: {column}",
        "time outside the plausible window: {column}",
    ),
    "unknown_claim": ("明细所属的结算不存在", "item of a claim that is not stored"),
}


def reason_text(code: str, column: str | None) -> str:
    zh, en = REASONS[code]
    return t(zh, en, column=column or "")


@dataclass
class FileReport:
    file: str
    table: str = ""
    load_id: str = ""
    encoding: str | None = None
    rows_read: int = 0
    loaded: int = 0
    reversals: int = 0
    duplicates: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    quarantine_file: str | None = None
    ignored_columns: tuple[str, ...] = ()
    error: str | None = None

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    @property
    def reconciles(self) -> bool:
        parts = self.loaded + self.reversals + self.duplicates + self.quarantined_total
        return self.rows_read == parts

    def as_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["quarantined"] = dict(self.quarantined)
        return record

    def lines(self) -> list[str]:
        if self.error:
            return [t("✗ {f}: {e}", "✗ {f}: {e}", f=self.file, e=self.error)]
        out = [
            t(
                "{f} → {tb} (编码 {e}, 导入批次 {l})",
                "{f} → {tb} (encoding {e}, load {l})",
                f=self.file,
                tb=self.table,
                e=self.encoding or "-",
                l=self.load_id,
            ),
            t(
                "  读取 {r:,} = 导入 {a:,} + 冲销冲抵 {v:,} + 完全重复跳过 {d:,} "
                "+ 隔离 {q:,}  {ok}",
                "  read {r:,} = loaded {a:,} + reversals netted {v:,} + exact duplicates "
                "skipped {d:,} + quarantined {q:,}  {ok}",
                r=self.rows_read,
                a=self.loaded,
                v=self.reversals,
                d=self.duplicates,
                q=self.quarantined_total,
                ok="✓" if self.reconciles else "✗",
            ),
        ]
        for code, count in sorted(self.quarantined.items()):
            out.append(f"    {count:>10,}  {code:<20} {reason_text(code, '…')}")
        if self.quarantine_file:
            out.append(t("  隔离文件: {p}", "  quarantine file: {p}", p=self.quarantine_file))
        if self.ignored_columns:
            out.append(
                t("  未使用的列: {c}", "  columns not used: {c}", c=", ".join(self.ignored_columns))
            )
        return out


@dataclass
class LoadReport:
    """The files of one load command; ``listener`` hears of each file as it finishes,
    so that what was loaded is shown even when a later file stops the command."""

    files: list[FileReport] = field(default_factory=list)
    listener: Callable[[FileReport], None] | None = None

    def add(self, file: FileReport) -> None:
        self.files.append(file)
        if self.listener is not None:
            self.listener(file)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def accepted(self) -> int:
        """Rows now in the store: loaded, netted or already there."""
        return self.total("loaded") + self.total("reversals") + self.total("duplicates")

    @property
    def quarantined(self) -> int:
        return self.total("quarantined_total")

    @property
    def failed(self) -> list[FileReport]:
        """Files (or sheets) that could not be loaded at all."""
        return [f for f in self.files if f.error]

    def lines(self) -> list[str]:
        return [line for f in self.files for line in f.lines()] + [self.total_line()]

    def total_line(self) -> str:
        return t(
            "合计: 读取 {r:,} = 导入 {a:,} + 冲销冲抵 {v:,} + 完全重复跳过 {d:,} + 隔离 {q:,}",
            "Total: read {r:,} = loaded {a:,} + reversals netted {v:,} + exact duplicates "
            "skipped {d:,} + quarantined {q:,}",
            r=self.total("rows_read"),
            a=self.total("loaded"),
            v=self.total("reversals"),
            d=self.total("duplicates"),
            q=self.quarantined,
        )
