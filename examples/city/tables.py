"""Numbers to canonical Arrow tables (exact column names of graphscan.schema) and the
streaming CSV / Parquet writers. Money stays in integer cents until it becomes a
DECIMAL(18,2), so total = fund + account + cash holds exactly in every row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from graphscan.examples.city.batch import (
    ITEM_CODE,
    ITEM_KIND,
    ITEM_NAME,
    ITEM_PRICE,
    KIND_NAMES,
    ClaimBatch,
    Items,
    Money,
)
from graphscan.examples.city.columns import Written
from graphscan.examples.city.population import Population
from graphscan.examples.city.sampling import digits_to_str, scramble
from graphscan.examples.city.world import TIER_KIND, TIER_LEVEL, VILLAGE, World
from graphscan.schema import CLAIM_ITEMS, CLAIMS, DOCTORS, PERSONS, PROVIDERS

MONEY = pa.decimal128(18, 2)


def cents(values: np.ndarray) -> pa.Array:
    """Integer cents as DECIMAL(18,2) without going through floats."""
    v = np.ascontiguousarray(values, dtype=np.int64)
    words = np.empty((len(v), 2), dtype=np.int64)
    words[:, 0] = v
    words[:, 1] = v >> 63
    return pa.Array.from_buffers(MONEY, len(v), [None, pa.py_buffer(words.tobytes())])


def _seconds(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.int64(), mask=values < 0).cast(pa.timestamp("s"))


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string(), mask=values == "")


class Lookups:
    """Arrow copies of every id array, built once: claims pick from them with ``take``
    (converting numpy strings row by row would dominate the run time)."""

    def __init__(self, world: World, people: Population) -> None:
        def arrow(values: np.ndarray) -> pa.Array:
            return pa.array(values, type=pa.string())

        self.person, self.card = arrow(people.person_id), arrow(people.card_id)
        self.provider, self.doctor = arrow(world.provider_id), arrow(world.doctor_id)
        self.operator, self.kind = arrow(world.operator_id), arrow(KIND_NAMES)
        self.item_code, self.item_name = arrow(ITEM_CODE), arrow(ITEM_NAME)
        self.item_kind = arrow(ITEM_KIND)


def _take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """values[index], null where index is -1."""
    return values.take(pa.array(index, type=pa.int64(), mask=index < 0))


def claim_ids(counter: np.ndarray, seed: int) -> pa.Array:
    """JS + 11 scrambled digits, built as one Arrow buffer."""
    digits = digits_to_str(scramble(counter, 10**11, seed), 11).astype("S11")
    width = 13
    data = np.empty((len(counter), width), dtype=np.uint8)
    data[:, :2] = np.frombuffer(b"JS", dtype=np.uint8)
    data[:, 2:] = digits.view(np.uint8).reshape(len(counter), 11)
    offsets = np.arange(len(counter) + 1, dtype=np.int32) * width
    return pa.Array.from_buffers(
        pa.string(), len(counter), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def claims_table(
    batch: ClaimBatch,
    money: Money,
    ids: pa.Array,
    lookups: Lookups,
    written: Written,
    card_ids: str,
    drop: tuple[str, ...] = (),
) -> pa.Table:
    """The claims as written: ``written`` says which optional ids each claim carries,
    ``card_ids`` how card_id relates to person_id; columns in ``drop`` are left out."""
    person = _take(lookups.person, batch.person)
    card = _take(lookups.card, np.where(written.shows_id, -1, batch.person))
    if card_ids == "equal":
        card = person
    columns = {
        "claim_id": ids,
        "kind": _take(lookups.kind, batch.kind),
        "person_id": person,
        "card_id": card,
        "provider_id": _take(lookups.provider, batch.provider),
        "doctor_id": _take(lookups.doctor, written.doctor),
        "operator_id": _take(lookups.operator, written.operator),
        "start_time": _seconds(batch.start),
        "end_time": _seconds(batch.end),
        "diagnosis_code": _text(written.diagnosis),
        "total_amount": cents(money.total),
        "fund_amount": cents(money.fund),
        "account_amount": cents(money.account),
        "cash_amount": cents(money.cash),
    }
    assert list(columns) == CLAIMS.names
    return pa.table({k: v for k, v in columns.items() if k not in drop})


def _line_numbers(claim: np.ndarray) -> pa.Array:
    """Each item's line within its claim (1, 2 … in item order), as a fee list numbers it."""
    order = np.argsort(claim, kind="stable")
    ranked = claim[order]
    position = np.arange(len(claim))
    first = np.maximum.accumulate(np.where(np.r_[True, ranked[1:] != ranked[:-1]], position, 0))
    line = np.empty(len(claim), dtype=np.int64)
    line[order] = position - first + 1
    return pa.array(line.astype(str), type=pa.string())


def items_table(items: Items, ids: pa.Array, lookups: Lookups) -> pa.Table:
    columns = {
        "claim_id": _take(ids, items.claim),
        "item_code": _take(lookups.item_code, items.item),
        "line_no": _line_numbers(items.claim),
        "item_name": _take(lookups.item_name, items.item),
        "item_kind": _take(lookups.item_kind, items.item),
        "quantity": pa.array(items.quantity, type=pa.int64()),
        "unit_price": cents(ITEM_PRICE[items.item]),
        "amount": cents(items.amount),
    }
    assert list(columns) == CLAIM_ITEMS.names
    return pa.table(columns)


def persons_table(people: Population, world: World) -> pa.Table:
    epoch = np.datetime64("1970-01-01")
    death = people.death_day >= 0
    death_date = (np.datetime64("2025-01-01") + np.maximum(people.death_day, 0)).astype(
        "datetime64[D]"
    )
    columns = {
        "person_id": pa.array(people.person_id, type=pa.string()),
        "sex": pa.array(np.where(people.male, "M", "F"), type=pa.string()),
        "birth_date": pa.array((epoch + people.birth_day).astype("datetime64[D]")),
        "region_code": pa.array(world.village_code[people.village], type=pa.string()),
        "poverty_flag": pa.array(people.poverty),
        "death_date": pa.array(death_date, mask=~death),
        "phone_key": _text(people.phone),
        "address_key": _text(people.address),
        "bank_key": _text(people.bank),
    }
    assert list(columns) == PERSONS.names
    return pa.table(columns)


def providers_table(world: World) -> pa.Table:
    town_code = np.char.add(
        world.county_code[world.provider_county],
        digits_to_str(
            world.provider_town - np.searchsorted(world.town_county, world.provider_county) + 1, 3
        ),
    )
    region = np.char.add(town_code, "000")
    village_clinic = np.flatnonzero(world.provider_tier == VILLAGE)  # one per village, in order
    region[village_clinic] = world.village_code
    columns = {
        "provider_id": pa.array(world.provider_id, type=pa.string()),
        "name": pa.array(world.provider_name, type=pa.string()),
        "kind": pa.array(TIER_KIND[world.provider_tier], type=pa.string()),
        "level": pa.array(TIER_LEVEL[world.provider_tier], type=pa.string()),
        "ownership": pa.array(np.where(world.provider_private, "private", "public")),
        "region_code": pa.array(region, type=pa.string()),
    }
    assert list(columns) == PROVIDERS.names
    return pa.table(columns)


_SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"))
_GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"))


def doctors_table(world: World, rng: np.random.Generator) -> pa.Table:
    n = len(world.doctor_id)
    name = np.char.add(
        np.char.add(
            _SURNAMES[rng.integers(0, len(_SURNAMES), n)], _GIVEN[rng.integers(0, len(_GIVEN), n)]
        ),
        np.where(rng.random(n) < 0.6, _GIVEN[rng.integers(0, len(_GIVEN), n)], ""),
    )
    columns = {
        "doctor_id": pa.array(world.doctor_id, type=pa.string()),
        "name": pa.array(name, type=pa.string()),
        "provider_id": pa.array(world.provider_id[world.doctor_provider], type=pa.string()),
        "specialty": pa.array(world.doctor_specialty, type=pa.string()),
    }
    assert list(columns) == DOCTORS.names
    return pa.table(columns)


class TableWriter:
    """Appends tables with one schema to ``<name>.csv`` or ``<name>.parquet``."""

    def __init__(self, directory: Path, name: str, schema: pa.Schema, fmt: str) -> None:
        self.path = directory / f"{name}.{fmt}"
        self.rows = 0
        if fmt == "csv":
            options = pacsv.WriteOptions(quoting_style="needed")
            self._writer = pacsv.CSVWriter(str(self.path), schema, write_options=options)
        else:
            self._writer = pq.ParquetWriter(str(self.path), schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


def write_table(directory: Path, name: str, table: pa.Table, fmt: str) -> None:
    writer = TableWriter(directory, name, table.schema, fmt)
    writer.write(table)
    writer.close()
