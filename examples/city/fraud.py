"""The fraud rings, one planting function per pattern (see the package docstring for the
signatures they leave). Hard rings are smaller, rarer and sit at hub providers."""

from __future__ import annotations

import numpy as np

from graphscan.examples.city.background import typical_cost
from graphscan.examples.city.batch import (
    B_COMMON,
    B_GOODS,
    B_HIGH_VALUE,
    B_INPATIENT,
    B_OUTPATIENT,
    INPATIENT,
    OUTPATIENT,
    PHARMACY_KIND,
    ClaimBatch,
    make_batch,
)
from graphscan.examples.city.population import Population
from graphscan.examples.city.sampling import DAY, DAYS, YEAR_START
from graphscan.examples.city.truth import PersonPool, Truth
from graphscan.examples.city.world import COUNTY, PHARMACY, PRIVATE, TERTIARY, TOWNSHIP, World

Rng = np.random.Generator
#: share of card-lending rings whose stack roams over three pharmacies
ROAMING = 0.25


def pick_provider(
    world: World,
    tiers: tuple[int, ...],
    hub: bool,
    rng: np.random.Generator,
    taken: set[int],
    where: np.ndarray | None = None,
) -> int:
    """A hub (among the busiest third of its tiers, by size) or an ordinary small
    provider, not yet ``taken`` by another planted group while any is left (so that
    rings stay apart in the truth); the choice is added to ``taken``."""
    mask = np.isin(world.provider_tier, tiers)
    if where is not None and (mask & where).any():
        mask &= where
    idx = np.flatnonzero(mask)
    weight = world.provider_weight[idx]
    cut = np.quantile(weight, 2 / 3) if len(idx) >= 3 else -np.inf
    chosen = idx[weight >= cut] if hub else idx[weight <= cut]
    chosen = chosen if len(chosen) else idx
    free = chosen[~np.isin(chosen, list(taken))]
    if not len(free):  # all of the wanted size are taken: any free one of the tiers
        free = idx[~np.isin(idx, list(taken))]
    choice = int(rng.choice(free if len(free) else chosen))
    taken.add(choice)
    return choice


def staff(
    first: np.ndarray,
    count: np.ndarray,
    provider: int,
    k: int,
    rng: Rng,
    taken: set[int] | None = None,
) -> np.ndarray:
    """k distinct staff members (doctors or operators) of one provider, preferring those
    not yet ``taken`` by a planted group (the choice is added to ``taken``)."""
    members = first[provider] + rng.permutation(int(count[provider]))
    if taken is not None:
        members = members[np.argsort(np.isin(members, list(taken)), kind="stable")]
        taken.update(members[:k].tolist())
    return members[:k]


def within_group_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` restarting at each new value of (sorted) ``group``."""
    total = np.cumsum(values)
    start = np.searchsorted(group, group, side="left")
    return total - np.where(start > 0, total[np.maximum(start - 1, 0)], 0)


def card_lending(
    world: World, people: Population, hard: bool, pool: PersonPool, truth: Truth, rng: Rng
) -> ClaimBatch:
    """An operator keeps unrelated people's cards and swipes the stack in bursts."""
    tag, ring = truth.new_ring("card_lending")
    pharmacy = pick_provider(world, (PHARMACY,), hard, rng, truth.providers)
    outlets = [pharmacy]
    # a broker carries the stack to two more pharmacies in other towns, each counter
    # seeing it rarely; some easy rings swipe for one undesignated outlet elsewhere
    draw = rng.random()
    more = 2 if draw < ROAMING else 1 if not hard and draw < ROAMING + 0.4 else 0
    for _ in range(more):
        away = ~np.isin(world.provider_town, world.provider_town[outlets])
        outlets.append(pick_provider(world, (PHARMACY,), False, rng, truth.providers, away))
    operators = [
        int(staff(world.operator_first, world.operator_count, p, 1, rng)[0]) for p in outlets
    ]
    k = int(rng.integers(5, 13) if hard else rng.integers(12, 41))
    eligible = (
        people.has_account
        & (people.death_day < 0)
        & (people.age >= 25)
        & (people.town != world.provider_town[pharmacy])
    )
    cards = pool.take(k, eligible)
    ring.add("pharmacy", outlets)
    ring.add("operator", operators)
    ring.add_people(cards)
    n_days = int(rng.integers(10, 21) if hard else rng.integers(20, 41))
    days = np.sort(rng.choice(DAYS, n_days, replace=False))
    present = rng.random((n_days, len(cards))) < (0.7 if hard else 0.85)
    day_i, card_j = np.nonzero(present)
    order = np.lexsort((rng.random(len(day_i)), day_i)) if hard else np.arange(len(day_i))
    day_i, card_j = day_i[order], card_j[order]
    gaps = rng.integers(120, 600, len(day_i)) if hard else rng.integers(45, 200, len(day_i))
    opening = rng.integers(9 * 3600, 19 * 3600, n_days)
    start = YEAR_START + days[day_i] * DAY + opening[day_i] + within_group_cumsum(gaps, day_i)
    outlet = rng.integers(0, len(outlets), n_days)[day_i]
    n = len(day_i)
    swipes = make_batch(
        cards[card_j],
        PHARMACY_KIND,
        np.array(outlets)[outlet],
        start,
        B_COMMON if hard else B_GOODS,
        rng.lognormal(np.log(28_000 if hard else 40_000), 0.3, n),
        operator=np.array(operators)[outlet],
        n_drugs=rng.integers(1, 4, n),
        tag=tag,
    )
    # now and then the owner shops at home while the card is in the stack far away
    both = np.flatnonzero(rng.random(n) < (0.03 if hard else 0.08))
    owner = cards[card_j[both]]
    home = people.pref_pharmacy[owner]
    at_home = make_batch(
        owner,
        PHARMACY_KIND,
        home,
        start[both] + rng.integers(-1800, 1800, len(both)),
        B_COMMON,
        rng.lognormal(np.log(5_000), 0.5, len(both)),
        operator=world.pick_operator(home, rng.random(len(both))),
        n_drugs=1,
    )
    return ClaimBatch.concat([swipes, at_home])


def kickback(
    world: World, people: Population, hard: bool, pool: PersonPool, truth: Truth, rng: Rng
) -> ClaimBatch:
    """Doctors send a group of patients with high-value prescriptions to a distant
    pharmacy, again and again; patients also resell through other outlets."""
    tag, ring = truth.new_ring("kickback")
    # the hospital is not a ring member (its doctors are): it stays free for other rings
    k_doctors = 1 if hard else 2
    big = np.flatnonzero(np.isin(world.provider_tier, (TERTIARY, COUNTY)))
    free_doctors = np.array(
        [
            len(
                set(range(world.doctor_first[h], world.doctor_first[h] + world.doctor_count[h]))
                - truth.doctors
            )
            for h in big
        ]
    )
    staffed = np.isin(np.arange(len(world.provider_tier)), big[free_doctors >= k_doctors])
    hospital = pick_provider(world, (TERTIARY, COUNTY), hard, rng, set(truth.providers), staffed)
    county = world.provider_county[hospital]
    doctors = staff(world.doctor_first, world.doctor_count, hospital, k_doctors, rng, truth.doctors)
    if hard:
        away = world.provider_town != world.provider_town[hospital]
    else:
        away = world.provider_county != county
    pharmacy = pick_provider(world, (PHARMACY,), hard, rng, truth.providers, away)
    k = int(rng.integers(4, 9) if hard else rng.integers(8, 26))
    eligible = (people.age >= 35) & (people.age <= 80) & (people.death_day < 0)
    patients = pool.take(k, eligible & (people.county == county))
    ring.add("doctor", doctors)
    ring.add("pharmacy", pharmacy)
    ring.add_people(patients)
    visits = rng.integers(5, 10, len(patients)) if hard else rng.integers(8, 15, len(patients))
    person = np.repeat(patients, visits)
    n = len(person)
    day = rng.integers(0, DAYS - 1, n)
    doctor = doctors[rng.integers(0, len(doctors), n)]
    seen = YEAR_START + day * DAY + rng.integers(8 * 3600, 11 * 3600, n)
    dx = np.where(rng.random(n) < 0.6, "C34.9", rng.choice(np.array(["I10", "E11.9", "J44.9"]), n))
    consult = make_batch(
        person,
        OUTPATIENT,
        np.full(n, hospital),
        seen,
        B_OUTPATIENT,
        typical_cost(dx, world.provider_tier[np.full(n, hospital)], False, rng),
        doctor=doctor,
        operator=world.pick_operator(np.full(n, hospital), rng.random(n)),
        diagnosis=dx,
        n_drugs=1,
        tag=tag,
    )
    fill = make_batch(
        person,
        PHARMACY_KIND,
        np.full(n, pharmacy),
        seen + rng.integers(2 * 3600, 6 * 3600, n),
        B_HIGH_VALUE,
        rng.lognormal(np.log(900_000), 0.3, n),
        doctor=doctor,
        operator=world.pick_operator(np.full(n, pharmacy), rng.random(n)),
        drug_base=rng.integers(0, 4, n),
        n_drugs=rng.integers(1, 3, n),
        tag=tag,
    )
    resale = np.flatnonzero(rng.random(n) < 0.3)
    others = pick_many_pharmacies(world, len(resale), rng)
    extra = make_batch(
        person[resale],
        PHARMACY_KIND,
        others,
        seen[resale] + rng.integers(2, 10, len(resale)) * DAY,
        B_HIGH_VALUE,
        rng.lognormal(np.log(600_000), 0.3, len(resale)),
        doctor=doctor[resale],
        operator=world.pick_operator(others, rng.random(len(resale))),
        drug_base=rng.integers(0, 4, len(resale)),
        n_drugs=1,
        tag=tag,
    )
    return ClaimBatch.concat([consult, fill, extra])


def pick_many_pharmacies(world: World, n: int, rng: np.random.Generator) -> np.ndarray:
    idx = np.flatnonzero(world.provider_tier == PHARMACY)
    return rng.choice(idx, n)


_MILD = np.array(["M54.5", "J44.9", "I63.9", "K29.7", "M17.9"])


def group_hospitalisation(
    world: World, people: Population, hard: bool, pool: PersonPool, truth: Truth, rng: Rng
) -> ClaimBatch:
    """An institution admits recruited, mostly elderly or poor villagers in waves, with
    similar stays, diagnoses and bills; a recruiter's phone links many of them."""
    tag, ring = truth.new_ring("group_hospitalisation")
    tiers = (COUNTY, PRIVATE, TOWNSHIP) if hard else (PRIVATE, TOWNSHIP)
    inst = pick_provider(world, tiers, hard, rng, truth.providers)
    county = world.provider_county[inst]
    in_county = np.flatnonzero(world.town_county[world.village_town] == county)
    villages = rng.choice(in_county, min(len(in_county), int(rng.integers(1, 4))), replace=False)
    home = np.isin(people.village, villages) & (people.death_day < 0)
    k = int(rng.integers(6, 16) if hard else rng.integers(15, 51))
    vulnerable = (people.age >= 60) | people.poverty
    recruits = pool.take(int(k * 0.8), home & vulnerable)
    recruits = np.concatenate((recruits, pool.take(k - len(recruits), home & (people.age >= 40))))
    recruiter = pool.take(1, home & (people.age >= 30) & (people.age < 60))
    linked = recruits[rng.random(len(recruits)) < (0.3 if hard else 0.5)]
    if len(recruiter) and len(linked):
        people.phone[linked] = people.phone[recruiter[0]]
        ring.add_people(recruiter)
    k_doctors = int(rng.integers(1, 4))
    doctors = staff(world.doctor_first, world.doctor_count, inst, k_doctors, rng, truth.doctors)
    ring.add("institution", inst)
    ring.add("doctor", doctors)
    ring.add_people(recruits)
    n_waves = int(rng.integers(2, 5) if hard else rng.integers(4, 7))
    waves = np.sort(rng.choice(np.arange(20, DAYS - 30), n_waves, replace=False))
    codes = rng.choice(_MILD, 2, replace=False)
    joins = rng.random((n_waves, len(recruits))) < (0.7 if hard else 0.85)
    wave_i, who = np.nonzero(joins)
    n = len(wave_i)
    person = recruits[who]
    day = waves[wave_i] + rng.integers(0, 6 if hard else 3, n)
    base_los = int(rng.integers(7, 11))
    los = base_los + (rng.integers(-2, 3, n) if hard else rng.integers(-1, 2, n))
    dx = codes[rng.integers(0, len(codes), n)]
    tier = world.provider_tier[np.full(n, inst)]
    per_day = typical_cost(dx, tier, True, rng, noise=0.0)
    spread = 0.08 if hard else 0.03
    target = per_day * base_los * (1 + rng.uniform(-spread, spread, n))
    admit = YEAR_START + day * DAY + rng.integers(8 * 3600, 12 * 3600, n)
    # 挂床: some recruits are in hospital on paper only and buy drugs at home meanwhile
    away = np.flatnonzero(rng.random(n) < 0.25)
    home = people.pref_pharmacy[person[away]]
    at_home = make_batch(
        person[away],
        PHARMACY_KIND,
        home,
        admit[away]
        + rng.integers(1, np.maximum(2, los[away])) * DAY
        + rng.integers(0, 8 * 3600, len(away)),
        B_COMMON,
        rng.lognormal(np.log(5_000), 0.5, len(away)),
        operator=world.pick_operator(home, rng.random(len(away))),
        n_drugs=1,
    )
    stays = make_batch(
        person,
        INPATIENT,
        np.full(n, inst),
        admit,
        B_INPATIENT,
        target,
        doctor=doctors[rng.integers(0, len(doctors), n)],
        operator=world.pick_operator(np.full(n, inst), rng.random(n)),
        end=admit + los * DAY + rng.integers(0, 2 * 3600, n),
        diagnosis=dx,
        n_drugs=3,
        tag=tag,
        spread=0.02,
    )
    # 分解住院: some stays are discharged and readmitted within days, billed twice
    split = np.flatnonzero(rng.random(n) < 0.15)
    discharge = stays.end[split]
    readmit = discharge + rng.integers(1, 4, len(split)) * DAY
    again = make_batch(
        person[split],
        INPATIENT,
        np.full(len(split), inst),
        readmit,
        B_INPATIENT,
        target[split] * 0.5,
        doctor=stays.doctor[split],
        operator=world.pick_operator(np.full(len(split), inst), rng.random(len(split))),
        end=readmit + rng.integers(3, 6, len(split)) * DAY,
        diagnosis=dx[split],
        n_drugs=3,
        tag=tag,
        spread=0.02,
    )
    return ClaimBatch.concat([stays, again, at_home])


def identity_misuse(
    world: World, people: Population, hard: bool, pool: PersonPool, truth: Truth, rng: Rng
) -> ClaimBatch:
    """An institution's cashier settles stays under other people's cards: the services
    do not fit the holder (sex, age, death) or overlap the holder's own stay elsewhere."""
    tag, ring = truth.new_ring("identity_misuse")
    tiers = (COUNTY, PRIVATE, TOWNSHIP) if hard else (PRIVATE, TOWNSHIP)
    inst = pick_provider(world, tiers, hard, rng, truth.providers)
    operator = staff(world.operator_first, world.operator_count, inst, 1, rng)
    k = int(rng.integers(3, 6) if hard else rng.integers(5, 13))
    age, male = people.age, people.male
    kinds = rng.integers(0, 4, k)
    cards, codes, first_day, overlap = [], [], [], []
    for kind in kinds:  # a handful of cards per ring: a loop over cards, not claims
        if kind == 0:  # the holder died; the card kept being used
            chosen = pool.take(1, (people.death_day > 30) & (people.death_day < DAYS - 60))
            day = people.death_day[chosen] + 15 if len(chosen) else None
            code = "I63.9"
        elif kind == 1:  # sex does not fit the service
            chosen = pool.take(1, ~male & (age >= 40) & (age <= 75) & (people.death_day < 0))
            day, code = None, "N40"
        elif kind == 2:  # age does not fit the service
            chosen = pool.take(1, ~male & (age >= 70) & (people.death_day < 0))
            day, code = None, "O80"
        else:  # the holder is in hospital elsewhere at the same time
            chosen = pool.take(1, (age >= 18) & (people.death_day < 0))
            day, code = None, "K80.2"
        if not len(chosen):
            continue
        cards.append(int(chosen[0]))
        codes.append(code)
        first_day.append(int(day[0]) if day is not None else int(rng.integers(10, DAYS - 60)))
        overlap.append(kind == 3)
    cards_a = np.array(cards, dtype=np.int64)
    ring.add("institution", inst)
    ring.add("operator", operator)
    ring.add_people(cards_a)
    uses = rng.integers(1, 4, len(cards_a))
    person = np.repeat(cards_a, uses)
    n = len(person)
    slot = np.arange(n) - np.repeat(np.cumsum(uses) - uses, uses)
    day = np.minimum(np.repeat(first_day, uses) + slot * rng.integers(20, 40, n), DAYS - 12)
    los = rng.integers(4, 11, n)
    admit = YEAR_START + day * DAY + rng.integers(8 * 3600, 16 * 3600, n)
    dx = np.repeat(np.array(codes), uses)
    fake = make_batch(
        person,
        INPATIENT,
        np.full(n, inst),
        admit,
        B_INPATIENT,
        typical_cost(dx, world.provider_tier[np.full(n, inst)], True, rng) * los,
        doctor=world.pick_doctor(np.full(n, inst), rng.random(n)),
        operator=np.full(n, operator[0]),
        end=admit + los * DAY,
        diagnosis=dx,
        n_drugs=3,
        tag=tag,
    )
    # the holders' own genuine stays that the fake ones overlap
    own = np.flatnonzero(np.repeat(np.array(overlap), uses))
    where = people.pref_hospital[person[own]]
    where = np.where(where == inst, people.pref_tertiary[person[own]], where)
    genuine = make_batch(
        person[own],
        INPATIENT,
        where,
        admit[own] - 2 * DAY,
        B_INPATIENT,
        typical_cost(np.full(len(own), "J20.9"), world.provider_tier[where], True, rng) * 6,
        doctor=world.pick_doctor(where, rng.random(len(own))),
        operator=world.pick_operator(where, rng.random(len(own))),
        end=admit[own] + 4 * DAY,
        diagnosis="J20.9",
        n_drugs=2,
    )
    return ClaimBatch.concat([fake, genuine])


PLANTERS = (card_lending, kickback, group_hospitalisation, identity_misuse)


def rings_per_pattern(persons: int, hard: bool) -> int:
    return max(2, persons // 6_000) if hard else max(3, persons // 4_000)


def plant_rings(
    world: World, people: Population, difficulty: str, pool: PersonPool, truth: Truth, rng: Rng
) -> list[ClaimBatch]:
    hard = difficulty == "hard"
    count = rings_per_pattern(people.n, hard)
    return [
        planter(world, people, hard, pool, truth, rng) for planter in PLANTERS for _ in range(count)
    ]
