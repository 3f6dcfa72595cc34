"""Ordinary care for a block of people: visit rates by age and frailty, nearby and
habitual providers, seasons, chronic patients refilling monthly, prescriptions filled at
the pharmacy by the hospital door. Everyone in a ring keeps this activity as camouflage."""

from __future__ import annotations

import numpy as np

from graphscan.examples.city import catalog
from graphscan.examples.city.batch import (
    B_CHRONIC,
    B_COMMON,
    B_INPATIENT,
    B_OUTPATIENT,
    INPATIENT,
    OUTPATIENT,
    PHARMACY_KIND,
    ClaimBatch,
    make_batch,
)
from graphscan.examples.city.population import CHRONIC_DIAGNOSES, Population
from graphscan.examples.city.sampling import (
    DAY,
    DAYS,
    YEAR_START,
    sample_days,
    sample_seconds_of_day,
)
from graphscan.examples.city.world import COUNTY, PRIVATE, TERTIARY, TIER_COST, World

_DX = catalog.DIAGNOSES
#: index of the chronic drug refilled for each entry of CHRONIC_DIAGNOSES
_CHRONIC_DRUG = np.array([0, 1, 3, 2, 5, 4, 6])


def _rate(age: np.ndarray, table: list[tuple[int, float]]) -> np.ndarray:
    """Piecewise-constant yearly rate by age: [(from_age, rate), ...]."""
    bounds = np.array([a for a, _ in table])
    rates = np.array([r for _, r in table])
    return rates[np.searchsorted(bounds, age, side="right") - 1]


def diagnoses_for(people: Population, person: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Diagnoses by frequency, with sex- and age-specific ones kept consistent."""
    dx = rng.choice(len(_DX.codes), len(person), p=_DX.weight)
    codes = _DX.codes[dx]
    age = people.age[person]
    male = people.male[person]
    wrong = ((codes == "N40") & (~male | (age < 45))) | (
        (codes == "O80") & (male | (age < 20) | (age > 42))
    )
    return np.where(wrong, "J06.9", codes)


def typical_cost(
    codes: np.ndarray,
    tier: np.ndarray,
    inpatient: bool,
    rng: np.random.Generator,
    noise: float = 0.35,
) -> np.ndarray:
    """Typical bill (cents) for a diagnosis at a provider tier, log-normally varied."""
    index = np.searchsorted(_DX.codes, codes, sorter=np.argsort(_DX.codes))
    index = np.argsort(_DX.codes)[np.minimum(index, len(_DX.codes) - 1)]
    base = _DX.inpatient_daily[index] if inpatient else _DX.outpatient_cost[index]
    return base * TIER_COST[tier] * rng.lognormal(0.0, noise, len(codes)) * 100


#: yearly visit and purchase rates by age: [(from_age, rate), ...]
OUTPATIENT_RATE = [(0, 6.0), (6, 3.5), (18, 3.5), (45, 5.5), (65, 8.0)]
PHARMACY_RATE = [(0, 2.0), (18, 6.5), (45, 9.0), (65, 11.0)]
#: a chronic patient's monthly refills (90% kept) and quarterly visits
CHRONIC_CLAIMS = 12 * 0.9 + 4


def expected_claims(people: Population, person: np.ndarray) -> np.ndarray:
    """A person's expected ordinary claims in the year (outpatient, pharmacy, chronic
    care), so that a ring can make a chosen share of someone's claims."""
    age = people.age[person]
    rate = _rate(age, OUTPATIENT_RATE) + _rate(age, PHARMACY_RATE)
    chronic = np.where(people.chronic[person] >= 0, CHRONIC_CLAIMS, 0.0)
    return people.frailty[person] * rate + chronic


def _events(people: Population, lo: int, hi: int, rate: np.ndarray, rng: np.random.Generator):
    alive_share = np.where(people.death_day[lo:hi] >= 0, people.death_day[lo:hi] / DAYS, 1.0)
    counts = rng.poisson(rate * people.frailty[lo:hi] * alive_share)
    return np.repeat(np.arange(lo, hi), counts)


def _alive(people: Population, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    death = people.death_day[person]
    return (death < 0) | (day < death)


def outpatient(world: World, people: Population, lo: int, hi: int, rng: np.random.Generator):
    age = people.age[lo:hi]
    rate = _rate(age, OUTPATIENT_RATE)
    person = _events(people, lo, hi, rate, rng)
    day = sample_days("outpatient", len(person), rng)
    keep = _alive(people, person, day)
    person, day = person[keep], day[keep]
    n = len(person)
    tier_pick = rng.choice(5, n, p=[0.30, 0.25, 0.27, 0.10, 0.08])
    provider = np.choose(
        tier_pick,
        [
            people.pref_village[person],
            people.pref_township[person],
            people.pref_hospital[person],
            people.pref_tertiary[person],
            people.pref_clinic[person],
        ],
    )
    start = YEAR_START + day * DAY + sample_seconds_of_day("outpatient", n, rng)
    codes = diagnoses_for(people, person, rng)
    doctor = world.pick_doctor(provider, rng.random(n))
    tier = world.provider_tier[provider]
    claims = make_batch(
        person,
        OUTPATIENT,
        provider,
        start,
        B_OUTPATIENT,
        typical_cost(codes, tier, False, rng),
        doctor=doctor,
        operator=world.pick_operator(provider, rng.random(n)),
        diagnosis=codes,
        n_drugs=rng.integers(1, 4, n),
    )
    # some hospital prescriptions are filled at the pharmacy by the door (外配处方)
    at_hospital = np.isin(tier, (TERTIARY, COUNTY, PRIVATE)) & (rng.random(n) < 0.25)
    idx = np.flatnonzero(at_hospital)
    pharmacy = world.pharmacies_near(provider[idx], rng)
    idx, pharmacy = idx[pharmacy >= 0], pharmacy[pharmacy >= 0]
    fills = make_batch(
        person[idx],
        PHARMACY_KIND,
        pharmacy,
        start[idx] + rng.integers(20 * 60, 120 * 60, len(idx)),
        B_COMMON,
        claims.target[idx] * 0.8,
        doctor=doctor[idx],
        operator=world.pick_operator(pharmacy, rng.random(len(idx))),
        n_drugs=rng.integers(1, 3, len(idx)),
    )
    return ClaimBatch.concat([claims, fills])


def pharmacy(world: World, people: Population, lo: int, hi: int, rng: np.random.Generator):
    age = people.age[lo:hi]
    rate = _rate(age, PHARMACY_RATE)
    person = _events(people, lo, hi, rate, rng)
    day = sample_days("pharmacy", len(person), rng)
    keep = _alive(people, person, day)
    person, day = person[keep], day[keep]
    n = len(person)
    where = rng.random(n)
    provider = np.where(where < 0.7, people.pref_pharmacy[person], people.pref_pharmacy2[person])
    start = YEAR_START + day * DAY + sample_seconds_of_day("pharmacy", n, rng)
    return make_batch(
        person,
        PHARMACY_KIND,
        provider,
        start,
        B_COMMON,
        rng.lognormal(np.log(6_000), 0.6, n),
        operator=world.pick_operator(provider, rng.random(n)),
        n_drugs=rng.integers(1, 4, n),
    )


def chronic_care(world: World, people: Population, lo: int, hi: int, rng: np.random.Generator):
    """Monthly refills at the usual pharmacy and a quarterly visit to the usual doctor."""
    patients = lo + np.flatnonzero(people.chronic[lo:hi] >= 0)
    refill_day = rng.integers(0, 28, len(patients))
    person = np.repeat(patients, 12)
    month = np.tile(np.arange(12), len(patients))
    month_start = np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])
    day = np.clip(
        month_start[month] + np.repeat(refill_day, 12) + rng.integers(-3, 4, len(person)),
        0,
        DAYS - 1,
    )
    keep = _alive(people, person, day) & (rng.random(len(person)) < 0.9)
    person, day = person[keep], day[keep]
    n = len(person)
    provider = people.pref_pharmacy[person]
    chronic = people.chronic[person]
    prescribed = people.steady_refill[person] | (rng.random(n) < 0.5)
    refills = make_batch(
        person,
        PHARMACY_KIND,
        provider,
        YEAR_START + day * DAY + sample_seconds_of_day("pharmacy", n, rng),
        B_CHRONIC,
        rng.lognormal(np.log(15_000), 0.3, n),
        doctor=np.where(prescribed, people.chronic_doctor[person], -1),
        operator=world.pick_operator(provider, rng.random(n)),
        drug_base=_CHRONIC_DRUG[chronic],
        n_drugs=1 + (rng.random(n) < 0.3),
        diagnosis=CHRONIC_DIAGNOSES[chronic],
        tag=people.group_tag[person],
    )
    person = np.repeat(patients, 4)
    day = np.clip(
        np.tile([20, 110, 200, 290], len(patients)) + rng.integers(-15, 15, len(person)),
        0,
        DAYS - 1,
    )
    keep = _alive(people, person, day) & (people.chronic_doctor[person] >= 0)
    person, day = person[keep], day[keep]
    n = len(person)
    doctor = people.chronic_doctor[person]
    provider = world.doctor_provider[doctor]
    codes = CHRONIC_DIAGNOSES[people.chronic[person]]
    visits = make_batch(
        person,
        OUTPATIENT,
        provider,
        YEAR_START + day * DAY + sample_seconds_of_day("outpatient", n, rng),
        B_OUTPATIENT,
        typical_cost(codes, world.provider_tier[provider], False, rng),
        doctor=doctor,
        operator=world.pick_operator(provider, rng.random(n)),
        diagnosis=codes,
        tag=people.group_tag[person],
    )
    return ClaimBatch.concat([refills, visits])


def inpatient(world: World, people: Population, lo: int, hi: int, rng: np.random.Generator):
    age = people.age[lo:hi]
    rate = _rate(age, [(0, 0.08), (6, 0.03), (18, 0.05), (45, 0.09), (65, 0.2), (80, 0.3)])
    rate = rate * np.where(people.poverty[lo:hi], 1.5, 1.0)
    person = _events(people, lo, hi, rate, rng)
    day = sample_days("inpatient", len(person), rng)
    keep = _alive(people, person, day)
    person, day = person[keep], day[keep]
    n = len(person)
    where = rng.choice(3, n, p=[0.3, 0.5, 0.2])
    provider = np.choose(
        where,
        [people.pref_township[person], people.pref_hospital[person], people.pref_tertiary[person]],
    )
    tier = world.provider_tier[provider]
    los = 2 + rng.poisson(np.where(tier == TERTIARY, 8, 5), n)
    admit = YEAR_START + day * DAY + sample_seconds_of_day("inpatient", n, rng)
    discharge = YEAR_START + (day + los) * DAY + rng.integers(9 * 3600, 12 * 3600, n)
    codes = diagnoses_for(people, person, rng)
    return make_batch(
        person,
        INPATIENT,
        provider,
        admit,
        B_INPATIENT,
        typical_cost(codes, tier, True, rng) * los,
        doctor=world.pick_doctor(provider, rng.random(n)),
        operator=world.pick_operator(provider, rng.random(n)),
        end=discharge,
        diagnosis=codes,
        n_drugs=rng.integers(2, 5, n),
    )


def background(
    world: World, people: Population, lo: int, hi: int, rng: np.random.Generator
) -> ClaimBatch:
    return ClaimBatch.concat(
        [
            outpatient(world, people, lo, hi, rng),
            pharmacy(world, people, lo, hi, rng),
            chronic_care(world, people, lo, hi, rng),
            inpatient(world, people, lo, hi, rng),
        ]
    )
