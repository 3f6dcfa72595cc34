"""The evidence claims as they leave the building: one row per claim with its source file
and row, identifiers in the export's display form so the CSV, the page and the memo can be
cross-checked against each other."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from graphscan.safe_csv import write_frame
from graphscan.schema import ENTITY_COLUMNS
from graphscan.viz.identifiers import IdentifierView

#: (column, Chinese, English, numeric) in CSV order.
EVIDENCE_COLUMNS: list[tuple[str, str, str, bool]] = [
    ("claim_id", "结算ID", "claim", False),
    ("kind", "类型", "kind", False),
    ("start_time", "时间", "time", False),
    ("end_time", "出院时间", "discharge", False),
    ("person_id", "参保人", "person", False),
    ("card_id", "医保卡", "card", False),
    ("provider_id", "机构/药店", "provider", False),
    ("provider_name", "机构/药店名称", "provider name", False),
    ("doctor_id", "医师", "doctor", False),
    ("operator_id", "操作员", "operator", False),
    ("diagnosis_code", "诊断", "diagnosis", False),
    ("items", "药品/项目及数量", "drugs and items (quantity)", False),
    ("total_amount", "总费用", "total", True),
    ("fund_amount", "统筹支付", "fund", True),
    ("account_amount", "个人账户", "account", True),
    ("cash_amount", "现金", "cash", True),
    ("source_file", "来源文件", "source file", False),
    ("source_row", "来源行号", "source row", True),
    ("load_id", "导入批次", "load", False),
    ("row_hash", "行哈希", "row hash", False),
]
#: Columns the page's table leaves to the CSV, to stay readable on a screen.
CSV_ONLY = ("load_id", "row_hash")
#: (column, Chinese, English, numeric) of the tables on screen: the static page's and the
#: workbench's
SHOWN_COLUMNS = [column for column in EVIDENCE_COLUMNS if column[0] not in CSV_ONLY]
KIND_NAMES = {"outpatient": "门诊", "inpatient": "住院", "pharmacy": "购药"}


def ids_by_kind(claims: pd.DataFrame, extra: Iterable[tuple[str, str]] = ()) -> dict[str, set[str]]:
    """Every identifier an export will show, by kind, so display forms are fixed once."""
    found: dict[str, set[str]] = {kind: set() for kind in ENTITY_COLUMNS.values()}
    for column, kind in ENTITY_COLUMNS.items():
        found[kind] |= {str(v) for v in claims[column].dropna().unique() if str(v) != ""}
    for kind, ident in extra:
        found.setdefault(kind, set()).add(str(ident))
    return found


def provider_names(claims: pd.DataFrame) -> dict[str, str]:
    """Provider code -> name, where the store knows it (codes alone mean nothing to a
    police officer)."""
    if "provider_name" not in claims.columns:
        return {}
    named = claims.dropna(subset=["provider_name"]).drop_duplicates("provider_id")
    return dict(
        zip(named["provider_id"].astype(str), named["provider_name"].astype(str), strict=True)
    )


def _texts(values: pd.Series, show: Callable[[object], str] = str) -> pd.Series:
    """``show`` of each value, "" where missing, as Python strings in an object column:
    pandas' own string conversions cost more than the formatting itself on the few
    hundred rows a graph or a page shows."""
    missing = values.isna().to_numpy()
    texts = ["" if gone else show(v) for v, gone in zip(values.tolist(), missing, strict=True)]
    return pd.Series(texts, index=values.index, dtype=object)


def _column(values: pd.Series, column: str, view: IdentifierView) -> pd.Series:
    """One evidence column as text; identifiers are looked up once per distinct value."""
    if column in ENTITY_COLUMNS:
        kind = ENTITY_COLUMNS[column]
        shown: dict[object, str] = {}
        return _texts(
            values, lambda v: shown.get(v) or shown.setdefault(v, str(view.show(kind, v)))
        )
    if column in ("start_time", "end_time"):
        return _texts(pd.to_datetime(values).dt.strftime("%Y-%m-%d %H:%M:%S"))
    if column.endswith("_amount"):
        return _texts(values.astype(float), "{:.2f}".format)
    if column == "source_row":
        return _texts(values.astype("Int64"))
    return _texts(values)


def evidence_frame(
    claims: pd.DataFrame, view: IdentifierView, items: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Claims in time order with display identifiers and fixed text formats; ``items``
    gives each claim's drugs and items with quantities (graphscan.viz.context)."""
    claims = claims.sort_values(["start_time", "claim_id"], kind="mergesort")
    claims = claims.assign(items=claims["claim_id"].astype(str).map(items or {}))
    empty = pd.Series([None] * len(claims), index=claims.index, dtype=object)
    return pd.DataFrame(
        {
            column: _column(claims[column] if column in claims.columns else empty, column, view)
            for column, *_ in EVIDENCE_COLUMNS
        }
    ).reset_index(drop=True)


def evidence_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark so Excel opens the Chinese text correctly; text that a
    spreadsheet would run as a formula is quoted (graphscan.safe_csv)."""
    buffer = io.StringIO()
    numeric = [c for c, *_, is_number in EVIDENCE_COLUMNS if is_number]
    write_frame(buffer, frame, numeric)
    return buffer.getvalue().encode("utf-8-sig")


def table_rows(frame: pd.DataFrame) -> tuple[list[tuple[str, str, bool]], list[list[str]]]:
    """Columns and rows for the page's sortable table."""
    rows = frame[[c for c, *_ in SHOWN_COLUMNS]].copy()
    rows["kind"] = [f"{KIND_NAMES.get(k, k)} {k}" for k in rows["kind"]]
    return [(zh, en, num) for _, zh, en, num in SHOWN_COLUMNS], rows.to_numpy().tolist()
