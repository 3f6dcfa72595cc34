"""What the store knows about a case beyond its claims, and the facts the page and the memo
both state from it, computed once here so that the two cannot disagree: how the money was
paid (fund + account + cash = total), which drugs and how much of them, the institution a
prescribing doctor works at, and why an organiser with no claims of their own is a member
(the phone the recruits share with them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from graphscan.rings import Case
from graphscan.viz.page import Text

ITEM_COLUMNS = ["claim_id", "item_code", "item_name", "item_kind", "quantity", "amount"]
#: Drugs named in the page's summary; every line is in the memo and the CSV.
SUMMARY_DRUGS = 5


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True)
class CaseContext:
    """Rows of the store's evidence projections for one case (empty when unknown), read
    by ``graphscan.api.case_context``: evidence renders what it is given."""

    items: pd.DataFrame = field(default_factory=lambda: _empty(ITEM_COLUMNS))
    institutions: pd.DataFrame = field(
        default_factory=lambda: _empty(["doctor_id", "institution_id", "institution_name"])
    )
    phones: pd.DataFrame = field(default_factory=lambda: _empty(["person_id", "phone_key"]))


# -- money -------------------------------------------------------------------------------
def payments(case: Case, claims: pd.DataFrame) -> list[tuple[Text, float]]:
    """Who paid: pooled fund, personal accounts, cash, and whatever else makes up the
    total (other payers, or parts the extract leaves blank), so the lines add up."""
    cash = float(pd.to_numeric(claims.get("cash_amount"), errors="coerce").fillna(0).sum())
    lines = [
        (Text("统筹基金支付", "paid by the pooled fund"), case.fund_amount),
        (Text("个人账户支付", "paid from personal accounts"), case.account_amount),
        (Text("现金支付", "paid in cash"), round(cash, 2)),
    ]
    other = round(case.total_amount - sum(v for _, v in lines), 2)
    if abs(other) >= 0.005:
        lines.append((Text("其他或未记录", "other payers or not recorded"), other))
    return lines


# -- drugs -------------------------------------------------------------------------------
def _item_label(name: object, code: object) -> str:
    return f"{name} ({code})" if isinstance(name, str) and name else str(code)


def _quantity(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):g}"


def items_by_claim(items: pd.DataFrame) -> dict[str, str]:
    """claim id -> "name (code) ×quantity; …" in item order, for the evidence table."""
    out: dict[str, list[str]] = {}
    for row in items.sort_values(["claim_id", "item_code"], kind="mergesort").itertuples():
        quantity = _quantity(row.quantity)
        label = _item_label(row.item_name, row.item_code)
        out.setdefault(str(row.claim_id), []).append(f"{label} ×{quantity}" if quantity else label)
    return {claim: "; ".join(parts) for claim, parts in out.items()}


def item_totals(items: pd.DataFrame) -> pd.DataFrame:
    """One row per item: code, name, kind, quantity, amount, claims; largest amount first."""
    if items.empty:
        return pd.DataFrame(columns=["item_code", "item_name", "item_kind", "quantity", "amount"])
    frame = items.assign(
        quantity=pd.to_numeric(items["quantity"], errors="coerce"),
        amount=pd.to_numeric(items["amount"], errors="coerce"),
        item_name=items["item_name"].fillna(""),
        item_kind=items["item_kind"].fillna(""),
    )
    totals = (
        frame.groupby(["item_code", "item_name", "item_kind"], dropna=False)
        .agg(
            quantity=("quantity", lambda q: q.sum(min_count=1)),
            amount=("amount", "sum"),
            claims=("claim_id", "nunique"),
        )
        .reset_index()
    )
    return totals.sort_values(["amount", "item_code"], ascending=[False, True], kind="mergesort")


def item_rows(items: pd.DataFrame) -> list[list[str]]:
    """The memo's table of items (every one of them)."""
    return [
        [
            str(r.item_code),
            str(r.item_name),
            str(r.item_kind),
            _quantity(r.quantity),
            f"¥{float(r.amount):,.2f}",
            str(int(r.claims)),
        ]
        for r in item_totals(items).itertuples()
    ]


def drug_summary(items: pd.DataFrame) -> str:
    """The page's one line: the largest items by amount, with quantities."""
    totals = item_totals(items)
    parts = [
        f"{_item_label(r.item_name, r.item_code)} ×{_quantity(r.quantity) or '?'} "
        f"¥{float(r.amount):,.2f}"
        for r in totals.head(SUMMARY_DRUGS).itertuples()
    ]
    more = len(totals) - SUMMARY_DRUGS
    return "；".join(parts) + (f"；另 {more} 项 {more} more" if more > 0 else "")


# -- doctors' institutions ---------------------------------------------------------------
def prescribing_institutions(case: Case, context: CaseContext) -> list[tuple[str, str, str]]:
    """(doctor id, institution code, institution name) for the case's doctors."""
    doctors = {m.id for m in case.members if m.kind == "doctor"}
    rows = context.institutions[context.institutions["doctor_id"].isin(doctors)]
    return [
        (str(d), str(i), "" if n is None or pd.isna(n) else str(n))
        for d, i, n in rows[["doctor_id", "institution_id", "institution_name"]].itertuples(
            index=False
        )
    ]


# -- organisers --------------------------------------------------------------------------
@dataclass(frozen=True)
class Organiser:
    """An organiser (a person member) and the recruits who share a phone with them."""

    id: str
    has_claims: bool
    recruits: tuple[str, ...]


def organisers(case: Case, claims: pd.DataFrame, context: CaseContext) -> list[Organiser]:
    claimants = set(claims["person_id"].dropna().astype(str)) | set(
        claims["card_id"].dropna().astype(str)
    )
    recruits = {m.id for m in case.members if m.kind == "person" and m.role == "recruit"}
    phones = context.phones.dropna(subset=["phone_key"])
    phone_of = dict(zip(phones["person_id"].astype(str), phones["phone_key"], strict=True))
    out = []
    for m in sorted(case.members, key=lambda m: (m.kind, m.id)):
        if m.role != "organiser" or m.kind != "person":
            continue
        phone = phone_of.get(m.id)
        linked = tuple(
            sorted(r for r in recruits if phone is not None and phone_of.get(r) == phone)
        )
        out.append(Organiser(m.id, m.id in claimants, linked))
    return out


def organiser_text(organiser: Organiser, shown: str) -> Text:
    """Why an organiser is a member, in words a reader without the data understands."""
    own_zh = "本人有结算单据" if organiser.has_claims else "本人没有任何结算单据"
    own_en = "has claims of their own" if organiser.has_claims else "has no claims of their own"
    n = len(organiser.recruits)
    if n:
        return Text(
            f"组织者 {shown}：{own_zh}；与本案 {n} 名被招募人员登记了同一电话号码"
            "（电话以密钥散列比对，不显示号码），因此列为组织者。",
            f"Organiser {shown} {own_en}; they registered the same phone number as {n} "
            "recruits of this case (phones compared as keyed hashes; no number is shown), "
            "which is why they are listed as the organiser.",
        )
    return Text(
        f"组织者 {shown}：{own_zh}；检测器依据与被招募人员共用的联系方式将其列入"
        "（本次导出未取得电话记录）。",
        f"Organiser {shown} {own_en}; the detector listed them for contact details shared "
        "with the recruits (this export had no phone records to show).",
    )


# -- the case book's entries ---------------------------------------------------------------
STATUS_NAMES = {
    "new": "新建",
    "reviewing": "审查中",
    "confirmed": "已确认",
    "dismissed": "已排除",
    "referred": "已移送",
}
HISTORY_HEADER = ["时间 Time (UTC)", "记录人 By", "状态 Status", "备注 Note"]


def _status(status: object) -> str:
    return f"{STATUS_NAMES.get(str(status), status)} {status}"


def history_rows(case: Case) -> list[list[str]]:
    """The status changes and notes investigators entered, oldest first, with who made
    each; the scans' own "created" and "rescanned" entries are left out, so exporting the
    same case after a rescan of the same data gives the same files."""
    rows = []
    for event in case.notes:
        if event.get("kind") not in ("status", "note"):
            continue
        change = _status(event["to_status"])
        if event["kind"] == "status":
            change = f"{_status(event['from_status'])} → {change}"
        rows.append(
            [
                f"{pd.Timestamp(event['event_time']):%Y-%m-%d %H:%M:%S}",
                str(event.get("author") or ""),
                change,
                str(event.get("note") or ""),
            ]
        )
    return rows
