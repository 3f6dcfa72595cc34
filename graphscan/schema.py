"""The canonical interchange format (the tables below; docs/loading.md maps extracts onto
them) and how the embedded store types it.

Every loader produces frames with exactly these columns and every store accepts them, so
this module is the single place where a column is added or renamed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

CLAIM_KINDS = ("outpatient", "inpatient", "pharmacy")
ITEM_KINDS = ("drug", "service", "material", "other")
PROVIDER_KINDS = ("hospital", "township", "village", "clinic", "pharmacy")
OWNERSHIPS = ("public", "private")

#: Claim columns that name an entity, and the kind of entity each names, in the order an
#: identifier is looked up (a person's own card carries the person's id, so a person comes
#: first). Exploration walks along them, exports mask them, the case graph draws them.
ENTITY_COLUMNS: dict[str, str] = {
    "person_id": "person",
    "card_id": "card",
    "doctor_id": "doctor",
    "provider_id": "provider",
    "operator_id": "operator",
}

#: Columns that hold personal identifiers; they are pseudonymised on load.
PERSONAL_COLUMNS = ("person_id", "card_id", "phone_key", "address_key", "bank_key")


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


MONEY = "DECIMAL(18,2)"

CLAIMS = Table(
    "claims",
    ("claim_id",),
    (
        Column("claim_id", "VARCHAR", True),
        Column("kind", "VARCHAR", True),
        Column("person_id", "VARCHAR", True),
        Column("card_id", "VARCHAR"),
        Column("provider_id", "VARCHAR", True),
        Column("doctor_id", "VARCHAR"),
        Column("operator_id", "VARCHAR"),
        Column("start_time", "TIMESTAMP", True),
        Column("end_time", "TIMESTAMP"),
        Column("diagnosis_code", "VARCHAR"),
        Column("total_amount", MONEY, True),
        Column("fund_amount", MONEY),
        Column("account_amount", MONEY),
        Column("cash_amount", MONEY),
    ),
)

#: An item's ``line_no`` is its line within the claim: the source's own line number when
#: the file has one, else its place among the claim's lines with the same item code in
#: the file; a line repeated on purpose is then two lines, and a re-load the same lines.
CLAIM_ITEMS = Table(
    "claim_items",
    ("claim_id", "item_code", "line_no"),
    (
        Column("claim_id", "VARCHAR", True),
        Column("item_code", "VARCHAR", True),
        Column("line_no", "VARCHAR"),
        Column("item_name", "VARCHAR"),
        Column("item_kind", "VARCHAR"),
        Column("quantity", "DECIMAL(18,4)"),
        Column("unit_price", "DECIMAL(18,4)"),
        Column("amount", MONEY, True),
    ),
)

PERSONS = Table(
    "persons",
    ("person_id",),
    (
        Column("person_id", "VARCHAR", True),
        Column("sex", "VARCHAR"),
        Column("birth_date", "DATE"),
        Column("region_code", "VARCHAR"),
        Column("poverty_flag", "BOOLEAN"),
        Column("death_date", "DATE"),
        Column("phone_key", "VARCHAR"),
        Column("address_key", "VARCHAR"),
        Column("bank_key", "VARCHAR"),
    ),
)

PROVIDERS = Table(
    "providers",
    ("provider_id",),
    (
        Column("provider_id", "VARCHAR", True),
        Column("name", "VARCHAR"),
        Column("kind", "VARCHAR"),
        Column("level", "VARCHAR"),
        Column("ownership", "VARCHAR"),
        Column("region_code", "VARCHAR"),
    ),
)

DOCTORS = Table(
    "doctors",
    ("doctor_id",),
    (
        Column("doctor_id", "VARCHAR", True),
        Column("name", "VARCHAR"),
        Column("provider_id", "VARCHAR"),
        Column("specialty", "VARCHAR"),
    ),
)


def item_line_numbers(items: pd.DataFrame) -> pd.Series:
    """``line_no`` for claim items that come without one: the place of each line among
    its claim's lines with the same item code, in frame order (the loaders give a file's
    lines the same numbers)."""
    place = items.groupby(["claim_id", "item_code"], sort=False, dropna=False).cumcount() + 1
    return place.astype("string")


TABLES: dict[str, Table] = {t.name: t for t in (CLAIMS, CLAIM_ITEMS, PERSONS, PROVIDERS, DOCTORS)}

#: Columns every stored claim and item row carries so evidence traces back to its source.
LINEAGE = (
    Column("source_file", "VARCHAR"),
    Column("source_row", "BIGINT"),
    Column("load_id", "VARCHAR"),
)


def card_used(claims: pd.DataFrame) -> pd.Series:
    """The card each claim was made with: its ``card_id``, else the person's own card,
    which carries the person's id (``card_id`` defaults to ``person_id``). The projections
    say the same as ``coalesce(card_id, person_id)`` in SQL and Cypher."""
    card = claims["card_id"].astype(object)
    return card.where(card.notna() & (card != ""), claims["person_id"].astype(object))


def provider_member_kinds(claims: pd.DataFrame) -> pd.Series:
    """``provider_id -> "pharmacy" | "institution"`` for the providers of ``claims``: the
    store's providers table decides (``provider_kind``: listed in a providers file, or
    derived from the claims when they were loaded); a provider it does not know is a
    pharmacy when it fills pharmacy claims."""
    fills = claims["kind"] == "pharmacy"
    listed = claims.get("provider_kind", pd.Series(None, index=claims.index, dtype=object))
    pharmacy = (listed == "pharmacy") | (listed.isna() & fills)
    by_provider = pharmacy.groupby(claims["provider_id"]).any()
    return by_provider.map({True: "pharmacy", False: "institution"})
