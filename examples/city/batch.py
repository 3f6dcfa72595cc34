"""Claims as columns of numbers until they are written: items, amounts and the fund /
personal account / cash split are computed here for any mix of claims at once."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from graphscan.examples.city import catalog
from graphscan.examples.city.population import Population
from graphscan.examples.city.world import World

OUTPATIENT, INPATIENT, PHARMACY_KIND = 0, 1, 2
KIND_NAMES = np.array(["outpatient", "inpatient", "pharmacy"])

# baskets: what a claim buys
B_OUTPATIENT, B_INPATIENT, B_COMMON, B_CHRONIC, B_HIGH_VALUE, B_GOODS, B_SCREENING = range(7)
B_CATARACT = 7

_POOLS = (
    catalog.COMMON_DRUGS,
    catalog.CHRONIC_DRUGS,
    catalog.HIGH_VALUE_DRUGS,
    catalog.GOODS,
    catalog.OUTPATIENT_SERVICES,
    catalog.INPATIENT_SERVICES,
    catalog.SCREENING_SERVICES,
    catalog.CATARACT_SERVICES,
)
_OFFSET = np.cumsum([0] + [len(p) for p in _POOLS])
P_COMMON, P_CHRONIC, P_HIGH, P_GOODS, P_OUT_SVC, P_IN_SVC, P_SCREEN, P_CATARACT = range(8)
ITEM_CODE = np.concatenate([p.codes for p in _POOLS])
ITEM_NAME = np.concatenate([p.names for p in _POOLS])
ITEM_KIND = np.concatenate([p.kinds for p in _POOLS])
ITEM_PRICE = np.round(np.concatenate([p.prices for p in _POOLS]) * 100).astype(np.int64)
POOL_LEN = np.array([len(p) for p in _POOLS])


@dataclass
class ClaimBatch:
    """One row per claim; ``tag`` is the ring index of a fraud claim, else -1."""

    person: np.ndarray
    kind: np.ndarray
    provider: np.ndarray
    doctor: np.ndarray
    operator: np.ndarray
    start: np.ndarray  # seconds since the epoch
    end: np.ndarray  # seconds, or -1
    diagnosis: np.ndarray  # code string, "" for none
    basket: np.ndarray
    target: np.ndarray  # wanted total in cents (items decide the real total)
    drug_base: np.ndarray  # first drug of the basket's pool, -1 for random
    n_drugs: np.ndarray
    tag: np.ndarray
    spread: np.ndarray  # relative noise of quantities: near-identical bills have little

    def __len__(self) -> int:
        return len(self.person)

    def take(self, index: np.ndarray) -> ClaimBatch:
        return ClaimBatch(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(batches: list[ClaimBatch]) -> ClaimBatch:
        if not batches:  # a planter that found nobody to plant
            nothing = np.zeros(0, dtype=np.int64)
            return make_batch(nothing, OUTPATIENT, nothing, nothing, B_OUTPATIENT, nothing)
        return ClaimBatch(
            **{
                f.name: np.concatenate([getattr(b, f.name) for b in batches])
                for f in fields(ClaimBatch)
            }
        )


def make_batch(
    person: np.ndarray,
    kind: int | np.ndarray,
    provider: np.ndarray,
    start: np.ndarray,
    basket: int | np.ndarray,
    target: np.ndarray,
    *,
    doctor: np.ndarray | None = None,
    operator: np.ndarray | None = None,
    end: np.ndarray | None = None,
    diagnosis: np.ndarray | str = "",
    drug_base: np.ndarray | None = None,
    n_drugs: np.ndarray | int = 2,
    tag: int | np.ndarray = -1,
    spread: float = 0.2,
) -> ClaimBatch:
    n = len(person)

    def full(value: object, dtype: object = np.int64) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

    return ClaimBatch(
        person=np.asarray(person, dtype=np.int64),
        kind=full(kind),
        provider=np.asarray(provider, dtype=np.int64),
        doctor=full(-1) if doctor is None else np.asarray(doctor, dtype=np.int64),
        operator=full(-1) if operator is None else np.asarray(operator, dtype=np.int64),
        start=np.asarray(start, dtype=np.int64),
        end=full(-1) if end is None else np.asarray(end, dtype=np.int64),
        diagnosis=full(diagnosis, dtype="U8"),
        basket=full(basket),
        target=np.maximum(100, np.asarray(target, dtype=np.int64)),
        drug_base=full(-1) if drug_base is None else np.asarray(drug_base, dtype=np.int64),
        n_drugs=full(n_drugs),
        tag=full(tag),
        spread=full(spread, dtype=float),
    )


@dataclass
class Items:
    claim: np.ndarray  # row in the batch
    item: np.ndarray  # index into ITEM_*
    quantity: np.ndarray
    amount: np.ndarray  # cents


def _fixed_items(batch: ClaimBatch, los: np.ndarray) -> tuple[np.ndarray, ...]:
    """Services billed per claim: consultation, tests, bed days, screening panels."""
    rows, items, qty = [], [], []
    outpatient = batch.basket == B_OUTPATIENT
    # consultation always; a blood test above 150 yuan, an X-ray above 300 yuan
    for j, above in ((0, 0), (1, 15_000), (2, 30_000)):
        idx = np.flatnonzero(outpatient & (batch.target > above))
        rows.append(idx)
        items.append(np.full(len(idx), _OFFSET[P_OUT_SVC] + j))
        qty.append(np.ones(len(idx), dtype=np.int64))
    idx = np.flatnonzero(batch.basket == B_INPATIENT)
    for j, per_day in ((0, True), (1, True), (2, False), (5, False)):
        rows.append(idx)
        items.append(np.full(len(idx), _OFFSET[P_IN_SVC] + j))
        qty.append(los[idx] if per_day else np.ones(len(idx), dtype=np.int64))
    idx = np.flatnonzero(batch.basket == B_SCREENING)
    for j in range(len(catalog.SCREENING_SERVICES)):
        rows.append(idx)
        items.append(np.full(len(idx), _OFFSET[P_SCREEN] + j))
        qty.append(np.ones(len(idx), dtype=np.int64))
    idx = np.flatnonzero(batch.basket == B_CATARACT)
    for j, per_day in ((0, False), (1, False), (2, True)):
        rows.append(idx)
        items.append(np.full(len(idx), _OFFSET[P_CATARACT] + j))
        qty.append(los[idx] if per_day else np.ones(len(idx), dtype=np.int64))
    return np.concatenate(rows), np.concatenate(items), np.concatenate(qty)


_BASKET_POOL = np.array(
    [P_COMMON, P_COMMON, P_COMMON, P_CHRONIC, P_HIGH, P_GOODS, P_COMMON, P_COMMON]
)


def build_items(batch: ClaimBatch, rng: np.random.Generator) -> Items:
    n = len(batch)
    los = np.where(batch.end >= 0, np.maximum(1, (batch.end - batch.start) // 86_400), 1)
    f_rows, f_items, f_qty = _fixed_items(batch, los)
    fixed_cost = np.bincount(f_rows, weights=ITEM_PRICE[f_items] * f_qty, minlength=n)
    # drugs (or goods) fill the rest of the wanted total
    n_drugs = np.where(batch.basket == B_SCREENING, 0, np.maximum(1, batch.n_drugs))
    pool = _BASKET_POOL[batch.basket]
    chronic_dx = np.isin(batch.diagnosis, ["I10", "E11.9", "I25.1", "J44.9"])
    pool = np.where((batch.basket <= B_INPATIENT) & chronic_dx, P_CHRONIC, pool)
    n_drugs = np.minimum(n_drugs, POOL_LEN[pool])
    d_rows = np.repeat(np.arange(n), n_drugs)
    slot = np.arange(len(d_rows)) - np.repeat(np.cumsum(n_drugs) - n_drugs, n_drugs)
    base = np.where(batch.drug_base >= 0, batch.drug_base, rng.integers(0, 1 << 30, n))
    length = POOL_LEN[pool][d_rows]
    local = (base[d_rows] + slot) % length
    d_items = _OFFSET[pool][d_rows] + local
    price = ITEM_PRICE[d_items]
    spread = batch.spread[d_rows]
    share = np.maximum(batch.target - fixed_cost, 0)[d_rows] / n_drugs[d_rows]
    d_qty = np.maximum(1, np.round(share / price * (1 + spread * rng.uniform(-1, 1, len(d_rows)))))
    d_qty = d_qty.astype(np.int64)
    rows = np.concatenate((f_rows, d_rows))
    items = np.concatenate((f_items, d_items))
    qty = np.concatenate((f_qty, d_qty))
    order = np.lexsort((items, rows))
    rows, items, qty = rows[order], items[order], qty[order]
    return Items(claim=rows, item=items, quantity=qty, amount=ITEM_PRICE[items] * qty)


@dataclass
class Money:
    total: np.ndarray
    fund: np.ndarray
    account: np.ndarray
    cash: np.ndarray


#: inpatient deductible (cents) and fund share per tier; outpatient fund share per tier
_DEDUCTIBLE = np.array([100_000, 60_000, 60_000, 30_000, 30_000, 30_000, 0])
_IN_RATIO = np.array([0.70, 0.80, 0.78, 0.90, 0.90, 0.85, 0.0])
_OUT_RATIO = np.array([0.40, 0.50, 0.45, 0.55, 0.60, 0.0, 0.0])


def split_amounts(batch: ClaimBatch, items: Items, world: World, people: Population) -> Money:
    """Pooled fund, personal account and cash, in cents; total = fund + account + cash."""
    total = np.bincount(items.claim, weights=items.amount, minlength=len(batch)).astype(np.int64)
    tier = world.provider_tier[batch.provider]
    poor = people.poverty[batch.person]
    account_holder = people.has_account[batch.person]
    chronic = people.chronic[batch.person] >= 0
    inpatient = batch.kind == INPATIENT
    deductible = np.where(poor, _DEDUCTIBLE[tier] // 2, _DEDUCTIBLE[tier])
    in_ratio = np.minimum(0.95, _IN_RATIO[tier] + np.where(poor, 0.05, 0.0))
    out_ratio = _OUT_RATIO[tier] + np.where(chronic, 0.1, 0.0)
    # chronic-disease drugs and "dual channel" high-value drugs are partly pooled-fund paid
    ph_ratio = np.select(
        [chronic & (batch.basket == B_CHRONIC), batch.basket == B_HIGH_VALUE], [0.5, 0.7], 0.0
    )
    fund = np.select(
        [inpatient, batch.kind == OUTPATIENT],
        [np.maximum(0, total - deductible) * in_ratio, total * out_ratio],
        total * ph_ratio,
    )
    fund = np.round(fund).astype(np.int64)
    rest = total - fund
    account = np.where(account_holder, np.where(inpatient, rest // 2, rest), 0)
    return Money(total=total, fund=fund, account=account, cash=total - fund - account)
