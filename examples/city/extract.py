"""The city as a real settlement system would export it, to exercise the loaders:
Chinese headers, GBK text files, an Excel workbook for inpatient stays, dates in several
formats (Excel serial numbers in the workbook), a sprinkling of broken rows, exact
duplicates from overlapping monthly extracts, and reversals (冲销) as negative rows, either
under the same 结算ID or under a new one naming the original in 原结算ID.

Only ordinary (non-fraud) claims are corrupted, reversed or duplicated, so the ground
truth stays valid. ``manifest.json`` says what was done to which claim, so a test can
reconcile a load exactly.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graphscan.schema import CLAIMS

CLAIM_HEADERS = {
    "claim_id": "结算ID",
    "kind": "就诊类型",
    "person_id": "身份证号",
    "card_id": "医保卡号",
    "provider_id": "定点机构编码",
    "doctor_id": "医师编码",
    "operator_id": "操作员",
    "start_time": "结算时间",
    "end_time": "出院时间",
    "diagnosis_code": "诊断编码",
    "total_amount": "医疗总费用",
    "fund_amount": "统筹支付",
    "account_amount": "个人账户支付",
    "cash_amount": "现金支付",
}
INPATIENT_HEADERS = CLAIM_HEADERS | {"person_id": "个人编号", "start_time": "入院时间"}
ITEM_HEADERS = {
    "claim_id": "结算ID",
    "item_code": "项目编码",
    "line_no": "明细序号",
    "item_name": "项目名称",
    "item_kind": "项目类别",
    "quantity": "数量",
    "unit_price": "单价",
    "amount": "金额",
}
PERSON_HEADERS = {
    "person_id": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "region_code": "行政区划",
    "poverty_flag": "贫困户标识",
    "death_date": "死亡日期",
    "phone_key": "联系电话",
    "address_key": "家庭住址",
    "bank_key": "银行卡号",
}
PROVIDER_HEADERS = {
    "provider_id": "定点机构编码",
    "name": "机构名称",
    "kind": "机构类型",
    "level": "机构等级",
    "ownership": "所有制",
    "region_code": "行政区划",
}
DOCTOR_HEADERS = {
    "doctor_id": "医师编码",
    "name": "医师姓名",
    "provider_id": "所属机构编码",
    "specialty": "科室",
}
ORIGINAL = "原结算ID"
KIND_ZH = {"outpatient": "门诊", "inpatient": "住院", "pharmacy": "购药"}
ITEM_KIND_ZH = {"drug": "药品", "service": "诊疗项目", "material": "医用耗材", "other": "其他"}
PROVIDER_KIND_ZH = {
    "hospital": "医院",
    "township": "乡镇卫生院",
    "village": "村卫生室",
    "clinic": "诊所",
    "pharmacy": "零售药店",
}
AMOUNTS = ("total_amount", "fund_amount", "account_amount", "cash_amount")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
FIXED_TIME = datetime(2026, 1, 1)
#: share of ordinary outpatient/pharmacy rows that are reversed, duplicated or broken
REVERSED, DUPLICATED, BROKEN = 0.004, 0.002, 0.001


def _batches(city: Path, name: str, fmt: str) -> Iterator[pd.DataFrame]:
    path = city / f"{name}.{fmt}"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: generate the city first")
    if fmt == "parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=200_000):
            yield _as_text(batch.to_pandas())
        return
    with open(path, encoding="utf-8", newline="") as f:
        names = next(csv.reader(f))
    types = {n: pa.string() for n in names}
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=32 << 20),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )
    for batch in reader:
        yield batch.to_pandas().fillna("")


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
        elif pd.api.types.is_bool_dtype(values):
            out[column] = values.map({True: "true", False: "false"})
        else:
            out[column] = values.map(lambda v: "" if v is None or v != v else str(v))
    return out


def _mixed_times(values: pd.Series, rng: np.random.Generator) -> pd.Series:
    """ISO, 2025/3/1 8:30 (no seconds, no padding) and 20250301083000, mixed row by row."""
    ts = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    choice = rng.integers(0, 3, len(values))
    slash = (
        ts.dt.year.astype("Int64").astype(str)
        + "/"
        + ts.dt.month.astype("Int64").astype(str)
        + "/"
        + ts.dt.day.astype("Int64").astype(str)
        + " "
        + ts.dt.hour.astype("Int64").astype(str)
        + ":"
        + ts.dt.strftime("%M")
    )
    compact = ts.dt.strftime("%Y%m%d%H%M%S")
    out = np.select([choice == 1, choice == 2], [slash, compact], values)
    return pd.Series(np.where(ts.isna(), "", out), index=values.index)


def _negate(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in AMOUNTS:
        nonzero = out[column] != "0.00"
        out.loc[nonzero, column] = "-" + out.loc[nonzero, column]
    return out


def _csv_text(frame: pd.DataFrame, header: bool) -> str:
    """Unquoted CSV text of a frame of strings (Arrow's writer: pandas' is far slower)."""
    table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
    sink = io.BytesIO()
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    pacsv.write_csv(table, sink, write_options=options)
    head = ",".join(frame.columns) + "\n" if header else ""  # Arrow would quote the names
    return head + sink.getvalue().decode("utf-8")


def _write_gbk(path: Path, frame: pd.DataFrame, header: bool) -> None:
    with open(path, "w" if header else "a", encoding="gbk", newline="") as f:
        f.write(_csv_text(frame, header))


def write_extract(city: Path, fmt: str, out: Path, seed: int) -> dict[str, object]:
    """Write the extract of the city in ``city`` (canonical tables + truth) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 99])
    fraud = set(pd.read_csv(city / "fraud_claims.csv", dtype=str)["claim_id"])
    manifest: dict[str, list[str]] = {
        "reversed_same_id": [],
        "reversed_new_id": [],
        "duplicated": [],
        "broken_fields": [],
        "bad_time": [],
        "missing_person": [],
    }
    claims_path = out / "门诊购药结算_2025.csv"
    inpatient_rows: list[pd.DataFrame] = []
    first = True
    for batch in _batches(city, "claims", fmt):
        batch = batch.reindex(columns=CLAIMS.names, fill_value="")  # a dropped column: empty
        inpatient_rows.append(batch[batch["kind"] == "inpatient"])
        rows = batch[batch["kind"] != "inpatient"].copy()
        ordinary = ~rows["claim_id"].isin(fraud)
        fate = np.where(ordinary, rng.random(len(rows)), 1.0)
        reversed_ = rows[fate < REVERSED]
        duplicated = rows[(fate >= REVERSED) & (fate < REVERSED + DUPLICATED)]
        broken = (fate >= REVERSED + DUPLICATED) & (fate < REVERSED + DUPLICATED + BROKEN)
        rows["start_time"] = _mixed_times(rows["start_time"], rng)
        rows["kind"] = rows["kind"].map(KIND_ZH)
        rows[ORIGINAL] = ""
        how = rng.integers(0, 3, int(broken.sum()))
        broken_idx = rows.index[broken]
        rows.loc[broken_idx[how == 1], "start_time"] = "2025-02-30 25:61:00"
        rows.loc[broken_idx[how == 2], "person_id"] = ""
        manifest["bad_time"] += list(rows.loc[broken_idx[how == 1], "claim_id"])
        manifest["missing_person"] += list(rows.loc[broken_idx[how == 2], "claim_id"])
        # an unquoted comma in the diagnosis: one field too many
        split = broken_idx[how == 0]
        manifest["broken_fields"] += list(rows.loc[split, "claim_id"])
        rows.loc[split, "diagnosis_code"] = rows.loc[split, "diagnosis_code"] + "\x00SPLIT"
        same_id = rng.random(len(reversed_)) < 0.5
        reversals = _negate(reversed_)
        reversals["kind"] = reversals["kind"].map(KIND_ZH)
        reversals[ORIGINAL] = np.where(same_id, "", reversals["claim_id"])
        reversals["claim_id"] = np.where(
            same_id, reversals["claim_id"], reversals["claim_id"] + "CX"
        )
        manifest["reversed_same_id"] += list(reversed_["claim_id"][same_id])
        manifest["reversed_new_id"] += list(reversed_["claim_id"][~same_id])
        dup = rows.loc[duplicated.index]
        manifest["duplicated"] += list(duplicated["claim_id"])
        table = pd.concat([rows, reversals, dup]).drop(columns="end_time")
        table = table.rename(columns=CLAIM_HEADERS)
        text = _csv_text(table, first).replace("\x00SPLIT", ",急性上呼吸道感染")
        with open(claims_path, "w" if first else "a", encoding="gbk", newline="") as f:
            f.write(text)
        first = False

    _write_inpatient_workbook(out / "住院结算.xlsx", pd.concat(inpatient_rows), rng)
    if (city / f"claim_items.{fmt}").exists():  # a drawn scenario may lack a table
        first = True
        for batch in _batches(city, "claim_items", fmt):
            batch["item_kind"] = batch["item_kind"].map(ITEM_KIND_ZH)
            _write_gbk(out / "费用明细.csv", batch.rename(columns=ITEM_HEADERS), first)
            first = False
    if (city / f"persons.{fmt}").exists():
        persons = pd.concat(_batches(city, "persons", fmt))
        persons["sex"] = persons["sex"].map({"M": "男", "F": "女"})
        persons["poverty_flag"] = persons["poverty_flag"].map({"true": "是", "false": "否"})
        birth = pd.to_datetime(persons["birth_date"])
        style = rng.integers(0, 3, len(persons))
        persons["birth_date"] = np.select(
            [style == 1, style == 2],
            [birth.dt.strftime("%Y%m%d"), birth.dt.strftime("%Y/%m/%d")],
            persons["birth_date"],
        )
        _write_gbk(out / "参保人员信息.csv", persons.rename(columns=PERSON_HEADERS), True)
    if (city / f"providers.{fmt}").exists():
        providers = pd.concat(_batches(city, "providers", fmt))
        providers["kind"] = providers["kind"].map(PROVIDER_KIND_ZH)
        providers["ownership"] = providers["ownership"].map({"public": "公立", "private": "民营"})
        _write_gbk(out / "定点医药机构.csv", providers.rename(columns=PROVIDER_HEADERS), True)
    if (city / f"doctors.{fmt}").exists():
        doctors = pd.concat(_batches(city, "doctors", fmt))
        _write_gbk(out / "医保医师.csv", doctors.rename(columns=DOCTOR_HEADERS), True)
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    return manifest


def _write_inpatient_workbook(path: Path, rows: pd.DataFrame, rng: np.random.Generator) -> None:
    """Stays in Excel: a third of the times as serial numbers, a third as date cells,
    a third as text."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.properties.created = FIXED_TIME
    sheet = book.create_sheet("住院结算")
    sheet.append([INPATIENT_HEADERS[c] for c in INPATIENT_HEADERS])
    rows = rows.assign(kind=rows["kind"].map(KIND_ZH))
    style = rng.integers(0, 3, len(rows))
    for values, how in zip(
        rows[list(INPATIENT_HEADERS)].itertuples(index=False), style, strict=True
    ):
        record: list[object] = list(values)
        for position in (7, 8):
            stamp = datetime.strptime(record[position], "%Y-%m-%d %H:%M:%S")
            if how == 0:
                record[position] = (pd.Timestamp(stamp) - EXCEL_EPOCH) / pd.Timedelta(days=1)
            elif how == 1:
                record[position] = stamp
            else:
                record[position] = f"{stamp.year}/{stamp.month}/{stamp.day} {stamp:%H:%M}"
        for position in range(10, 14):
            record[position] = float(record[position])
        sheet.append([None if v == "" else v for v in record])
    book.save(path)
    _make_reproducible(path)


def _make_reproducible(path: Path) -> None:
    """Same seed, same bytes: an .xlsx is a zip whose entries, and whose "modified"
    property, carry the time of writing."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, raw in entries:
            data = raw
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, raw)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
