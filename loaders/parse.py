"""Text columns to typed canonical rows, with the first problem of each row, in one DuckDB
query over the whole file (vectorised: no per-row Python on the hot path).

Each canonical column has a parser; a value that is present but does not parse is a
problem of that column, a missing required value is ``missing_key``. Claims also check
that discharge is not before admission and that fund + account + cash = total within
0.01 yuan. Rows with a negative total, or naming the claim they reverse, are reversals
(冲销). ``row_hash`` is an MD5 of the typed canonical content: an identical re-load is a
duplicate, the same key with another hash is a conflict.

Nothing is silently changed: an amount with a comma that is not a thousands separator
(``12,50``), more decimals than the column keeps (``120.005``), an amount of the wrong sign
(a negative fund payment; a positive part of a reversal), a time outside the plausible
window (``25-3-1`` read as year 25, ``9999-12-31``) and an identifier that arrives as a
number that lost digits (``1.10101E+17``, ``123.5``) are quarantined with their reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from graphscan.i18n import t
from graphscan.loaders.headers import REVERSES
from graphscan.loaders.identifiers import NUMBER_LIKE
from graphscan.loaders.sqltext import literal
from graphscan.schema import PERSONAL_COLUMNS, TABLES

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

#: Columns that name something (an id or a code): a number that lost digits is no name.
IDENTIFIERS = {
    "claims": ("claim_id", "provider_id", "doctor_id", "operator_id", REVERSES),
    "claim_items": ("claim_id", "item_code", "line_no"),
    "persons": (),
    "providers": ("provider_id",),
    "doctors": ("doctor_id", "provider_id"),
}
#: What the loader puts in place of the pseudonym of a personal id that arrived as a
#: number that lost digits: never a pseudonym (those are hex), always quarantined.
INEXACT_ID = "inexact-number"
_THOUSANDS = "[+-]?[0-9]{1,3}(,[0-9]{3})+(\\.[0-9]*)?"
#: Decimal places each numeric parser keeps (more would be rounded away).
SCALE = {"money": 2, "decimal": 4}


@dataclass(frozen=True)
class Window:
    """The plausible days of claim times (first and last, inclusive); persons' birth and
    death dates may start in 1900."""

    first: date
    last: date

    @classmethod
    def default(cls) -> Window:
        return cls(date(1990, 1, 1), date.today() + timedelta(days=1))

    @classmethod
    def parse(cls, text: str) -> Window:
        """``FIRST..LAST`` (ISO dates), either side may be left out for the default."""
        first, sep, last = text.partition("..")
        default = cls.default()
        try:
            window = cls(
                date.fromisoformat(first) if first else default.first,
                date.fromisoformat(last) if last else default.last,
            )
        except ValueError:
            window = None
        if not sep or window is None or window.first > window.last:
            raise ValueError(
                t(
                    "日期范围应写成 起..止, 例如 2024-01-01..2025-12-31, 而不是 {w}",
                    "a date window is FIRST..LAST, e.g. 2024-01-01..2025-12-31, not {w}",
                    w=text,
                )
            )
        return window

    def sql(self, x: str, first: date | None = None) -> str:
        """``x`` (a timestamp or date) outside the window."""
        start = literal((first or self.first).isoformat())
        end = literal((self.last + timedelta(days=1)).isoformat())
        return f"({x} < TIMESTAMP {start} OR {x} >= TIMESTAMP {end})"


PERSON_FIRST = date(1900, 1, 1)

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


def _lookup(x: str, table: dict[str, tuple[str, ...]], default: str | None = None) -> str:
    cases = " ".join(
        f"WHEN {literal(alias.lower())} THEN {literal(value)}"
        for value, aliases in table.items()
        for alias in aliases
    )
    otherwise = f"ELSE {literal(default)}" if default else ""
    # the exact spelling first: lower() makes a new string, needed only for odd cases
    return f"CASE {x} {cases} ELSE CASE lower({x}) {cases} {otherwise} END END"


def _time(x: str) -> str:
    formats = ", ".join(literal(f) for f in TIME_FORMATS)
    serial = (
        f"CASE WHEN regexp_full_match({x}, '[1-9][0-9]{{4}}(\\.[0-9]+)?') THEN "
        f"TIMESTAMP '1899-12-30' + to_seconds(round(CAST({x} AS DOUBLE) * 86400)) END"
    )
    return f"coalesce(try_strptime({x}, [{formats}]), {serial})"


def _parse(x: str, parser: str, sql_type: str) -> str:
    # ¥ and thousands separators are removed only where present (most amounts are
    # plain); a comma that does not separate thousands (12,50) leaves no number
    number = (
        f"CASE WHEN contains({x}, ',') OR contains({x}, '¥') THEN CASE WHEN NOT "
        f"contains({x}, ',') OR regexp_full_match(replace({x}, '¥', ''), '{_THOUSANDS}') "
        f"THEN replace(replace({x}, ',', ''), '¥', '') END ELSE {x} END"
    )
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


def _rounded(x: str, scale: int) -> str:
    """``x`` (number text) has non-zero digits beyond ``scale`` decimals. Cheap length
    tests first: most amounts have at most the kept decimals."""
    dot = f"instr({x}, '.')"
    return (
        f"(contains({x}, '.') AND length({x}) - {dot} > {scale} "
        f"AND length(rtrim({x}, '0')) - {dot} > {scale})"
    )


def _number_like(x: str) -> str:
    """``x`` is a number with a fraction or an exponent: an id that a spreadsheet or a
    float column turned into a number that may have lost digits (the SQL twin of
    loaders/identifiers.py's ``number_like``)."""
    guard = f"(contains({x}, '.') OR contains({x}, 'E+') OR contains({x}, 'e+'))"
    return f"({guard} AND regexp_full_match({x}, {literal(NUMBER_LIKE)}))"


def _hash(columns: list[str]) -> str:
    parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '\\N')" for c in columns)
    return f"md5(concat_ws(chr(31), {parts}))"


def _clean(x: str) -> str:
    """Blank is missing; surrounding spaces go, but trim() only runs on the rare value
    that has them (two byte tests are much cheaper than trimming every value)."""
    return f"nullif(CASE WHEN prefix({x}, ' ') OR suffix({x}, ' ') THEN trim({x}) ELSE {x} END, '')"


#: A claims row is a reversal (冲销) when its total is negative or it names the claim it reverses.
_REVERSAL = "(total_amount < 0 OR reverses_claim_id IS NOT NULL)"


def _checks(table: str, window: Window | None = None) -> list[tuple[str, str, str]]:
    """(condition, reason code, column) of every check, first failing one wins; the
    conditions read the cleaned text ``t_<column>`` and the typed ``<column>``."""
    spec = TABLES[table]
    window = window or Window.default()
    checks: list[tuple[str, str, str]] = []
    for c in spec.required:
        lenient = table == "claims" and c not in ("claim_id", "total_amount")
        guard = f" AND NOT {_REVERSAL}" if lenient else ""
        checks.append((f"t_{c} IS NULL{guard}", "missing_key", c))
    for c in PERSONAL_COLUMNS:
        if c in spec.names:
            checks.append((f"t_{c} = '{INEXACT_ID}'", "inexact_id", c))
    for c in IDENTIFIERS[table]:
        checks.append((_number_like(f"t_{c}"), "inexact_id", c))
    for c, parser in PARSERS[table].items():
        if parser in SCALE:
            ambiguous = f"contains(t_{c}, ',') AND {c} IS NULL"
            checks.append((ambiguous, "ambiguous_amount", c))
        if parser in PROBLEM:
            checks.append((f"t_{c} IS NOT NULL AND {c} IS NULL", PROBLEM[parser], c))
        if parser in SCALE:
            checks.append((_rounded(f"t_{c}", SCALE[parser]), "amount_precision", c))
        if parser in ("time", "date"):
            first = PERSON_FIRST if table == "persons" else None
            checks.append((window.sql(c, first), "implausible_time", c))
    if table == "claims":
        for c in ("total_amount", "fund_amount", "account_amount", "cash_amount"):
            # claims pay, reversals (冲销) take back: no part of either the other way
            checks.append((f"{c} <> 0 AND ({c} < 0) <> {_REVERSAL}", "amount_sign", c))
        checks.append(("end_time < start_time", "end_before_start", "end_time"))
        parts = "fund_amount + account_amount + cash_amount"
        checks.append((f"abs(total_amount - ({parts})) > 0.01", "amounts_mismatch", "total_amount"))
    return checks


def problem_sql(table: str, check: str) -> str:
    """``problem`` (reason code) and ``problem_column`` from the number of the failed
    check that parse_sql keeps (a small number per row instead of two strings)."""
    checks = _checks(table)
    codes = ", ".join(literal(code) for _, code, _ in checks)
    columns = ", ".join(literal(column) for _, _, column in checks)
    return f"[{codes}][{check}] AS problem, [{columns}][{check}] AS problem_column"


def parse_sql(table: str, present: set[str], window: Window | None = None) -> str:
    """The query that turns ``raw`` (one text column per canonical column in ``present``,
    personal ones already pseudonymised) into typed rows of ``table`` plus ``problem_check``
    (the failed check, see problem_sql) and ``row_hash``; claims also get ``reversal`` and,
    on reversal rows, ``original_claim_id``. ``raw.position`` is passed through. Written
    in layers (clean text, typed values, checks) so that each value is cleaned and parsed
    once: DuckDB does not share a sub-expression between the branches of CASE expressions.
    A claim item without its own ``line_no`` gets its place among the lines of its claim
    with the same item code, in file order: a repeated line is a line, not a duplicate."""
    spec = TABLES[table]
    parsers = PARSERS[table]
    names = spec.names + ([REVERSES] if table == "claims" else [])
    text = {
        c: (
            "CAST(NULL AS VARCHAR)"
            if c not in present
            else f"raw.{c}"
            if c in PERSONAL_COLUMNS
            else _clean(f"raw.{c}")
        )
        for c in names
    }
    if table == "claims":  # the card used defaults to the person's own
        text["card_id"] = f"coalesce({text['card_id']}, {text['person_id']})"
    types = {c.name: c.sql_type for c in spec.columns}
    typed = {c: _parse(f"t_{c}", parsers.get(c, "text"), types.get(c, "VARCHAR")) for c in names}
    if table == "claim_items":
        typed["line_no"] = (
            "coalesce(t_line_no, CAST(row_number() OVER (PARTITION BY t_claim_id, t_item_code "
            "ORDER BY position) AS VARCHAR))"
        )
    checks = _checks(table, window)
    which = " ".join(f"WHEN {cond} THEN {i}" for i, (cond, _, _) in enumerate(checks, start=1))
    extra = (
        f", coalesce({_REVERSAL}, false) AS reversal, CASE WHEN {_REVERSAL} "
        "THEN coalesce(reverses_claim_id, claim_id) END AS original_claim_id"
        if table == "claims"
        else ""
    )
    outputs = ", ".join(spec.names)
    return f"""
        SELECT position, {outputs}, CAST(CASE {which} END AS UTINYINT) AS problem_check,
               {_hash([c for c in spec.names if c != "line_no"])} AS row_hash {extra}
        FROM (
            SELECT position, {", ".join(f"t_{c}" for c in names)},
                   {", ".join(f"{typed[c]} AS {c}" for c in names)}
            FROM (SELECT raw.position, {", ".join(f"{text[c]} AS t_{c}" for c in names)} FROM raw)
        )
    """
