"""Text columns to typed canonical rows, with the first problem of each row, in one DuckDB
query per batch (vectorised: no per-row Python on the hot path).

Each canonical column has a parser; a value that is present but does not parse is a
problem of that column, a missing required value is ``missing_key``. Claims also check
that discharge is not before admission and that fund + account + cash = total within
0.01 yuan. Rows with a negative total, or naming the claim they reverse, are reversals
(冲销). ``row_hash`` is an MD5 of the typed canonical content: an identical re-load is a
duplicate, the same key with another hash is a conflict.
"""

from __future__ import annotations

from graphscan.loaders.headers import REVERSES
from graphscan.schema import TABLES

TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y%m%d%H%M%S",
    "%Y%m%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日",
)

CLAIM_KINDS = {
    "outpatient": ("门诊", "普通门诊", "门诊慢特病", "门特", "门诊统筹", "急诊", "outpatient"),
    "inpatient": ("住院", "inpatient"),
    "pharmacy": ("购药", "药店购药", "定点药店购药", "外配", "外配处方", "pharmacy"),
}
PROVIDER_KINDS = {
    "hospital": ("医院", "综合医院", "专科医院", "hospital"),
    "township": ("乡镇卫生院", "卫生院", "社区卫生服务中心", "township"),
    "village": ("村卫生室", "village"),
    "clinic": ("诊所", "门诊部", "clinic"),
    "pharmacy": ("药店", "零售药店", "定点零售药店", "pharmacy"),
}
ITEM_KINDS = {
    "drug": ("药品", "西药", "中成药", "中药饮片", "drug"),
    "service": ("诊疗", "诊疗项目", "医疗服务", "服务", "检查", "治疗", "service"),
    "material": ("材料", "耗材", "医用耗材", "material"),
    "other": ("其他", "other"),
}
SEXES = {"M": ("男", "m", "male", "1"), "F": ("女", "f", "female", "2")}
FLAGS = {"true": ("是", "1", "y", "yes", "true"), "false": ("否", "0", "n", "no", "false")}
OWNERSHIPS = {"public": ("公立", "公办", "public"), "private": ("民营", "私立", "private")}

#: table -> column -> parser; columns not listed are text.
PARSERS: dict[str, dict[str, str]] = {
    "claims": {
        "kind": "claim_kind",
        "start_time": "time",
        "end_time": "time",
        "total_amount": "money",
        "fund_amount": "money",
        "account_amount": "money",
        "cash_amount": "money",
    },
    "claim_items": {
        "item_kind": "item_kind",
        "quantity": "decimal",
        "unit_price": "decimal",
        "amount": "money",
    },
    "persons": {"sex": "sex", "birth_date": "date", "death_date": "date", "poverty_flag": "flag"},
    "providers": {"kind": "provider_kind", "ownership": "ownership"},
    "doctors": {},
}

#: parser -> reason code of a value it cannot read
PROBLEM = {
    "time": "bad_time",
    "date": "bad_time",
    "money": "bad_amount",
    "decimal": "bad_amount",
    "claim_kind": "unknown_kind",
    "provider_kind": "unknown_kind",
    "sex": "bad_value",
    "flag": "bad_value",
    "ownership": "bad_value",
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lookup(x: str, table: dict[str, tuple[str, ...]], default: str | None = None) -> str:
    cases = " ".join(
        f"WHEN {_quote(alias.lower())} THEN {_quote(value)}"
        for value, aliases in table.items()
        for alias in aliases
    )
    otherwise = f"ELSE {_quote(default)}" if default else ""
    return f"CASE lower({x}) {cases} {otherwise} END"


def _time(x: str) -> str:
    formats = ", ".join(_quote(f) for f in TIME_FORMATS)
    serial = (
        f"CASE WHEN regexp_full_match({x}, '[1-9][0-9]{{4}}(\\.[0-9]+)?') THEN "
        f"TIMESTAMP '1899-12-30' + to_seconds(round(CAST({x} AS DOUBLE) * 86400)) END"
    )
    return f"coalesce(try_strptime({x}, [{formats}]), {serial})"


def _parse(x: str, parser: str, sql_type: str) -> str:
    number = f"replace(replace({x}, ',', ''), '¥', '')"
    return {
        "text": x,
        "time": _time(x),
        "date": f"CAST({_time(x)} AS DATE)",
        "money": f"TRY_CAST({number} AS {sql_type})",
        "decimal": f"TRY_CAST({number} AS {sql_type})",
        "claim_kind": _lookup(x, CLAIM_KINDS),
        "provider_kind": _lookup(x, PROVIDER_KINDS),
        "item_kind": _lookup(x, ITEM_KINDS, default="other"),
        "sex": _lookup(x, SEXES),
        "flag": f"CAST({_lookup(x, FLAGS)} AS BOOLEAN)",
        "ownership": _lookup(x, OWNERSHIPS),
    }[parser]


def _hash(columns: list[str]) -> str:
    parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '\\N')" for c in columns)
    return f"md5(concat_ws(chr(31), {parts}))"


def parse_sql(table: str, present: set[str]) -> str:
    """The query that turns the registered text batch ``raw`` into typed rows of
    ``table`` plus ``problem`` (reason code), ``problem_column`` and ``row_hash``;
    claims also get ``reversal`` and ``original_claim_id``. One projection, written out
    in full: DuckDB evaluates each repeated sub-expression once."""
    spec = TABLES[table]
    parsers = PARSERS[table]
    names = spec.names + ([REVERSES] if table == "claims" else [])
    text = {
        c: f"nullif(trim(raw.{c}), '')" if c in present else "CAST(NULL AS VARCHAR)" for c in names
    }
    if table == "claims":  # the card used defaults to the person's own
        text["card_id"] = f"coalesce({text['card_id']}, {text['person_id']})"
    types = {c.name: c.sql_type for c in spec.columns}
    typed = {c: _parse(text[c], parsers.get(c, "text"), types.get(c, "VARCHAR")) for c in names}
    checks: list[tuple[str, str, str]] = []
    reversal = (
        f"({typed['total_amount']} < 0 OR {typed[REVERSES]} IS NOT NULL)"
        if table == "claims"
        else "false"
    )
    for c in spec.required:
        lenient = table == "claims" and c not in ("claim_id", "total_amount")
        guard = f" AND NOT {reversal}" if lenient else ""
        checks.append((f"{text[c]} IS NULL{guard}", "missing_key", c))
    for c, parser in parsers.items():
        if parser in PROBLEM:
            checks.append((f"{text[c]} IS NOT NULL AND {typed[c]} IS NULL", PROBLEM[parser], c))
    if table == "claims":
        start, end = typed["start_time"], typed["end_time"]
        checks.append((f"{end} < {start}", "end_before_start", "end_time"))
        parts = " + ".join(typed[c] for c in ("fund_amount", "account_amount", "cash_amount"))
        total = typed["total_amount"]
        checks.append((f"abs({total} - ({parts})) > 0.01", "amounts_mismatch", "total_amount"))
    problem = " ".join(f"WHEN {cond} THEN {_quote(code)}" for cond, code, _ in checks)
    column = " ".join(f"WHEN {cond} THEN {_quote(col)}" for cond, _, col in checks)
    extra = (
        f", coalesce({reversal}, false) AS reversal, "
        f"coalesce({typed[REVERSES]}, {typed['claim_id']}) AS original_claim_id"
        if table == "claims"
        else ""
    )
    outputs = ", ".join(f"{typed[c]} AS {c}" for c in spec.names)
    return f"""
        SELECT raw.source_row, {outputs},
               CASE {problem} END AS problem, CASE {column} END AS problem_column,
               {_hash([typed[c] for c in spec.names])} AS row_hash {extra}
        FROM raw
    """
