"""Write one year of a synthetic city: people and providers first, then claims streamed
block by block of people (bounded memory), then the ground truth and, for a drawn
scenario, scenario.json."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from graphscan.examples.city.background import background
from graphscan.examples.city.batch import ClaimBatch, build_items, split_amounts
from graphscan.examples.city.columns import written
from graphscan.examples.city.plant import plant
from graphscan.examples.city.population import build_population
from graphscan.examples.city.scenario import Scenario
from graphscan.examples.city.tables import (
    Lookups,
    TableWriter,
    claim_ids,
    claims_table,
    doctors_table,
    items_table,
    persons_table,
    providers_table,
    write_table,
)
from graphscan.examples.city.truth import Seen
from graphscan.examples.city.world import build_world

#: people per streamed block; fixed so that output never depends on memory or cores
BLOCK = 10_000
DIFFICULTIES = ("easy", "hard")
FORMATS = ("csv", "parquet")


@dataclass
class Summary:
    persons: int
    claims: int
    claim_items: int
    rings: int
    fraud_claims: int
    hard_negative_groups: int
    seconds: float

    @property
    def claims_per_second(self) -> float:
        return self.claims / max(self.seconds, 1e-9)


def generate_city(
    out: Path,
    persons: int,
    seed: int,
    difficulty: str = "easy",
    fmt: str = "csv",
    progress: Callable[[int], None] | None = None,
    scenario: Scenario | None = None,
) -> Summary:
    """Generate the city into ``out``; the same arguments always give the same bytes.
    Without ``scenario`` the reference city of ``difficulty`` is built. ``progress`` is
    called with the number of people done after each block."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {DIFFICULTIES}")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    if persons < 1000:
        raise ValueError("a city needs at least 1000 persons")
    s = scenario or Scenario.reference(difficulty)
    began = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(persons, np.random.default_rng([seed, 0]), s)
    people = build_population(
        world, persons, seed, np.random.default_rng([seed, 1]), s.flagship_share
    )
    special, truth = plant(world, people, s, np.random.default_rng([seed, 2]))
    if s.writes_table("persons"):
        write_table(out, "persons", persons_table(people, world), fmt)
    if s.writes_table("providers"):
        write_table(out, "providers", providers_table(world), fmt)
    doctors = doctors_table(world, np.random.default_rng([seed, 3]))
    if s.writes_table("doctors"):
        write_table(out, "doctors", doctors, fmt)
    seen = Seen(persons)

    lookups = Lookups(world, people)
    order = np.argsort(special.person, kind="stable")
    special = special.take(order)
    bounds = np.searchsorted(special.person, np.arange(0, persons + BLOCK, BLOCK))
    claims_writer: TableWriter | None = None
    items_writer: TableWriter | None = None
    fraud: list[tuple[np.ndarray, np.ndarray]] = []
    counter = item_count = 0
    for block, lo in enumerate(range(0, persons, BLOCK)):
        hi = min(lo + BLOCK, persons)
        rng = np.random.default_rng([seed, 10, block])
        batch = ClaimBatch.concat(
            [
                background(world, people, lo, hi, rng),
                special.take(np.arange(bounds[block], bounds[block + 1])),
            ]
        )
        batch = batch.take(np.lexsort((batch.person, batch.start)))
        items = build_items(batch, rng)
        money = split_amounts(batch, items, world, people)
        ids = claim_ids(np.arange(counter, counter + len(batch)), seed)
        counter += len(batch)
        shown = written(world, batch, s, np.random.default_rng([seed, 20, block]))
        seen.add(batch.tag, shown.doctor, shown.operator, batch.person, shown.shows_id)
        claims = claims_table(batch, money, ids, lookups, shown, s.card_ids, s.drop)
        if claims_writer is None:
            claims_writer = TableWriter(out, "claims", claims.schema, fmt)
        claims_writer.write(claims)
        if s.writes_table("claim_items"):
            item_rows = items_table(items, ids, lookups)
            if items_writer is None:
                items_writer = TableWriter(out, "claim_items", item_rows.schema, fmt)
            items_writer.write(item_rows)
        else:
            item_count += len(items.claim)
        tagged = batch.tag >= 0
        fraud.append(
            (ids.filter(pa.array(tagged)).to_numpy(zero_copy_only=False), batch.tag[tagged])
        )
        if progress is not None:
            progress(hi - lo)
    claims_writer.close()
    if items_writer is not None:
        items_writer.close()
        item_count = items_writer.rows

    fraud_ids = np.concatenate([f[0] for f in fraud])
    fraud_rings = np.concatenate([f[1] for f in fraud])
    seen.freeze()
    truth.write(out, people, world, fraud_ids, fraud_rings, seen)
    if scenario is not None:
        scenario.write(out, persons, seed)
    return Summary(
        persons=persons,
        claims=claims_writer.rows,
        claim_items=item_count,
        rings=len(truth.rings),
        fraud_claims=len(fraud_ids),
        hard_negative_groups=len(truth.negatives),
        seconds=time.perf_counter() - began,
    )
