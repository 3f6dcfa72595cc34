"""Hard negatives: legitimate group behaviour that naive co-occurrence flags. Each differs
from fraud the way real life does: families share an address and come rarely; screening
days and check-ups happen once or twice; rush-hour swipes follow a hospital visit and
involve different people each day; a chronic panel buys ordinary doses of ordinary drugs
next door to its doctor, month after month."""

from __future__ import annotations

import numpy as np

from graphscan.examples.city.batch import (
    B_COMMON,
    B_OUTPATIENT,
    B_SCREENING,
    OUTPATIENT,
    PHARMACY_KIND,
    ClaimBatch,
    make_batch,
)
from graphscan.examples.city.catalog import SCREENING_DIAGNOSIS
from graphscan.examples.city.fraud import Rng, pick_provider, staff, within_group_cumsum
from graphscan.examples.city.population import Population
from graphscan.examples.city.sampling import DAY, DAYS, YEAR_START
from graphscan.examples.city.truth import Group, PersonPool, Truth
from graphscan.examples.city.world import COUNTY, PHARMACY, TERTIARY, TOWNSHIP, World


def families(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> ClaimBatch:
    """Households (shared address_key) seen together: a parent swipes every card of the
    family at the usual pharmacy, or the family visits the clinic on the same morning."""
    size = np.bincount(people.household)
    big = np.flatnonzero(size >= 3)
    chosen = rng.choice(big, min(count, len(big)), replace=False)
    batches = []
    for household in np.sort(chosen):
        members = np.arange(*np.searchsorted(people.household, [household, household + 1]))
        members = members[people.death_day[members] < 0]
        if len(members) < 2 or not pool.free(members):
            continue
        pool.mark(members)
        group = truth.new_negative("family")
        group.add_people(members)
        outings = int(rng.integers(4, 11))
        days = np.sort(rng.choice(DAYS, outings, replace=False))
        day_i = np.repeat(np.arange(outings), len(members))
        person = np.tile(members, outings)
        n = len(person)
        at_pharmacy = (rng.random(outings) < 0.6)[day_i]
        provider = np.where(
            at_pharmacy, people.pref_pharmacy[members[0]], people.pref_village[members[0]]
        )
        operator = world.pick_operator(provider, np.repeat(rng.random(outings), len(members)))
        opening = rng.integers(8 * 3600, 18 * 3600, outings)
        start = (
            YEAR_START
            + days[day_i] * DAY
            + opening[day_i]
            + within_group_cumsum(rng.integers(40, 400, n), day_i)
        )
        batches.append(
            make_batch(
                person,
                np.where(at_pharmacy, PHARMACY_KIND, OUTPATIENT),
                provider,
                start,
                np.where(at_pharmacy, B_COMMON, B_OUTPATIENT),
                rng.lognormal(np.log(7_000), 0.5, n),
                doctor=np.where(at_pharmacy, -1, world.pick_doctor(provider, rng.random(n))),
                operator=operator,
                diagnosis=np.where(at_pharmacy, "", "J06.9"),
                n_drugs=rng.integers(1, 3, n),
            )
        )
    return ClaimBatch.concat(batches)


def _screen(
    world: World,
    truth: Truth,
    group: Group,
    persons: np.ndarray,
    provider: int,
    days: np.ndarray,
    rng: Rng,
) -> ClaimBatch:
    """One panel of tests per person, queued through the morning by a few doctors."""
    doctors = staff(world.doctor_first, world.doctor_count, provider, 3, rng, truth.doctors)
    operators = staff(world.operator_first, world.operator_count, provider, 2, rng)
    group.add("institution", provider)
    group.add("doctor", doctors)
    group.add_people(persons)
    n = len(persons)
    day_i = np.sort(rng.integers(0, len(days), n))
    start = (
        YEAR_START
        + days[day_i] * DAY
        + 8 * 3600
        + within_group_cumsum(rng.integers(30, 150, n), day_i)
    )
    return make_batch(
        persons,
        OUTPATIENT,
        np.full(n, provider),
        start,
        B_SCREENING,
        np.full(n, 8_500),
        doctor=doctors[rng.integers(0, len(doctors), n)],
        operator=operators[rng.integers(0, len(operators), n)],
        diagnosis=SCREENING_DIAGNOSIS,
        spread=0.0,
    )


def screening_days(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> ClaimBatch:
    """A village's adults go through the township health centre on one day (some towns
    run a spring and an autumn round)."""
    batches = []
    for village in np.sort(
        rng.choice(world.n_villages, min(count, world.n_villages), replace=False)
    ):
        town = world.village_town[village]
        centre = np.flatnonzero((world.provider_tier == TOWNSHIP) & (world.provider_town == town))
        if not len(centre):
            continue
        lo, hi = np.searchsorted(people.village, [village, village + 1])  # sorted by village
        adult = (people.age[lo:hi] >= 35) & (people.death_day[lo:hi] < 0) & pool.unused[lo:hi]
        residents = lo + np.flatnonzero(adult)
        persons = residents[rng.random(len(residents)) < 0.8]
        if len(persons) < 10:
            continue
        pool.mark(persons)
        rounds = 2 if rng.random() < 0.35 else 1
        days = np.sort(rng.choice(np.arange(60, 300), rounds, replace=False))
        group = truth.new_negative("screening_day")
        batches.append(_screen(world, truth, group, persons, int(centre[0]), days, rng))
    return ClaimBatch.concat(batches)


def checkups(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> ClaimBatch:
    """A school's pupils or a company's staff examined at a hospital on one or two days;
    staff come from many villages, as unrelated as a card-lending ring."""
    batches = []
    for _ in range(count):
        hospital = pick_provider(world, (COUNTY, TERTIARY), True, rng, truth.providers)
        county = world.provider_county[hospital]
        school = rng.random() < 0.5
        ages = (
            (people.age >= 6) & (people.age <= 15)
            if school
            else (people.age >= 20) & (people.age <= 55)
        )
        where = people.town == world.provider_town[hospital] if school else people.county == county
        persons = pool.take(int(rng.integers(30, 151)), ages & where & (people.death_day < 0))
        if len(persons) < 10:
            continue
        days = np.sort(rng.integers(60, 300) + np.arange(2 if len(persons) > 80 else 1))
        group = truth.new_negative("checkup")
        batches.append(_screen(world, truth, group, np.sort(persons), hospital, days, rng))
    return ClaimBatch.concat(batches)


def busy_pharmacies(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> ClaimBatch:
    """The pharmacy by a hospital door at rush hour: one operator fills prescriptions for
    a stream of patients just out of the clinic, different people every day."""
    near = np.flatnonzero(world.provider_near >= 0)
    near = near[~np.isin(near, list(truth.providers))]
    weight = world.provider_weight[near]
    chosen = near[np.argsort(-weight, kind="stable")[: min(count, len(near))]]
    truth.providers.update(chosen.tolist())
    batches = []
    for pharmacy in chosen:
        hospital = world.provider_near[pharmacy]
        operator = staff(world.operator_first, world.operator_count, pharmacy, 1, rng)
        county = world.provider_county[hospital]
        catchment = np.flatnonzero((people.county == county) & (people.death_day < 0) & pool.unused)
        n_days = int(rng.integers(60, 120))
        days = np.sort(
            rng.choice(np.flatnonzero((np.arange(DAYS) + 2) % 7 < 5), n_days, replace=False)
        )
        per_day = rng.integers(8, 25, n_days)
        day_i = np.repeat(np.arange(n_days), per_day)
        n = len(day_i)
        person = rng.choice(catchment, n)
        pool.mark(person)
        visit = YEAR_START + days[day_i] * DAY + 8 * 3600 + rng.integers(0, 2 * 3600, n)
        doctor = world.pick_doctor(np.full(n, hospital), rng.random(n))
        rush = (
            YEAR_START
            + days[day_i] * DAY
            + 10 * 3600
            + within_group_cumsum(rng.integers(60, 240, n), day_i)
        )
        group = truth.new_negative("busy_pharmacy")
        group.add("pharmacy", pharmacy)
        group.add("operator", operator)
        group.add_people(np.unique(person))
        dx = np.full(n, "J06.9")
        batches.append(
            make_batch(
                person,
                OUTPATIENT,
                np.full(n, hospital),
                visit,
                B_OUTPATIENT,
                rng.lognormal(np.log(15_000), 0.4, n),
                doctor=doctor,
                operator=world.pick_operator(np.full(n, hospital), rng.random(n)),
                diagnosis=dx,
            )
        )
        batches.append(
            make_batch(
                person,
                PHARMACY_KIND,
                np.full(n, pharmacy),
                np.maximum(rush, visit + 600),
                B_COMMON,
                rng.lognormal(np.log(9_000), 0.5, n),
                doctor=doctor,
                operator=np.full(n, operator[0]),
                n_drugs=rng.integers(1, 4, n),
            )
        )
    return ClaimBatch.concat(batches)


def chronic_panels(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> None:
    """A doctor's chronic patients all refill monthly, with the doctor's prescription, at
    the pharmacy next door. Only habits change: the background writes the refills."""
    for _ in range(count):
        site = pick_provider(world, (TOWNSHIP, COUNTY), True, rng, truth.providers)
        town = world.provider_town[site]
        door = np.flatnonzero(world.provider_near == site)
        if not len(door):
            door = np.flatnonzero((world.provider_tier == PHARMACY) & (world.provider_town == town))
        if not len(door):
            continue
        pharmacy = int(door[0])
        doctors = staff(world.doctor_first, world.doctor_count, site, 1, rng, truth.doctors)
        doctor = int(doctors[0])
        eligible = (people.chronic >= 0) & (people.town == town) & (people.death_day < 0)
        patients = pool.take(int(rng.integers(15, 41)), eligible)
        if len(patients) < 5:
            continue
        people.chronic_doctor[patients] = doctor
        people.pref_pharmacy[patients] = pharmacy
        people.steady_refill[patients] = True
        group = truth.new_negative("chronic_refill")
        group.add("doctor", doctor)
        group.add("pharmacy", pharmacy)
        group.add_people(patients)


def plant_negatives(
    world: World, people: Population, pool: PersonPool, truth: Truth, rng: Rng
) -> list[ClaimBatch]:
    n = people.n
    chronic_panels(world, people, pool, truth, max(2, n // 6_000), rng)
    return [
        families(world, people, pool, truth, max(10, n // 500), rng),
        screening_days(world, people, pool, truth, max(2, world.n_villages // 10), rng),
        checkups(world, people, pool, truth, max(2, n // 8_000), rng),
        busy_pharmacies(world, people, pool, truth, max(1, n // 10_000), rng),
    ]
