"""What a load did, file by file, in numbers that reconcile:
rows read = loaded + reversals netted + exact duplicates skipped + quarantined."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from graphscan.i18n import t

#: reason code -> (Chinese, English); ``{column}`` is the source column concerned.
REASONS: dict[str, tuple[str, str]] = {
    "broken_row": ("列数与表头不符", "wrong number of fields"),
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


@dataclass
class LoadReport:
    files: list[FileReport] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def accepted(self) -> int:
        """Rows now in the store: loaded, netted or already there."""
        return self.total("loaded") + self.total("reversals") + self.total("duplicates")

    @property
    def quarantined(self) -> int:
        return self.total("quarantined_total")

    def lines(self) -> list[str]:
        out: list[str] = []
        for f in self.files:
            if f.error:
                out.append(t("✗ {f}: {e}", "✗ {f}: {e}", f=f.file, e=f.error))
                continue
            out.append(
                t(
                    "{f} → {tb} (编码 {e}, 导入批次 {l})",
                    "{f} → {tb} (encoding {e}, load {l})",
                    f=f.file,
                    tb=f.table,
                    e=f.encoding or "-",
                    l=f.load_id,
                )
            )
            out.append(
                t(
                    "  读取 {r:,} = 导入 {a:,} + 冲销冲抵 {v:,} + 完全重复跳过 {d:,} "
                    "+ 隔离 {q:,}  {ok}",
                    "  read {r:,} = loaded {a:,} + reversals netted {v:,} + exact duplicates "
                    "skipped {d:,} + quarantined {q:,}  {ok}",
                    r=f.rows_read,
                    a=f.loaded,
                    v=f.reversals,
                    d=f.duplicates,
                    q=f.quarantined_total,
                    ok="✓" if f.reconciles else "✗",
                )
            )
            for code, count in sorted(f.quarantined.items()):
                out.append(f"    {count:>10,}  {code:<20} {reason_text(code, '…')}")
            if f.quarantine_file:
                out.append(t("  隔离文件: {p}", "  quarantine file: {p}", p=f.quarantine_file))
            if f.ignored_columns:
                out.append(
                    t(
                        "  未使用的列: {c}",
                        "  columns not used: {c}",
                        c=", ".join(f.ignored_columns),
                    )
                )
        out.append(
            t(
                "合计: 读取 {r:,} = 导入 {a:,} + 冲销冲抵 {v:,} + 完全重复跳过 {d:,} + 隔离 {q:,}",
                "Total: read {r:,} = loaded {a:,} + reversals netted {v:,} + exact duplicates "
                "skipped {d:,} + quarantined {q:,}",
                r=self.total("rows_read"),
                a=self.total("loaded"),
                v=self.total("reversals"),
                d=self.total("duplicates"),
                q=self.quarantined,
            )
        )
        return out
