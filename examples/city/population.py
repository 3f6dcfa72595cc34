"""The insured people: households in villages, ages, sexes, poverty, deaths, contact keys,
18-digit ID numbers, card numbers and the providers each person habitually uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphscan.examples.city.sampling import DAY, DAYS, YEAR_START, digits_to_str, scramble
from graphscan.examples.city.world import (
    CLINIC,
    COUNTY,
    PHARMACY,
    PRIVATE,
    TERTIARY,
    TOWNSHIP,
    VILLAGE,
    World,
)

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))
#: chronic diagnoses and the drug (index into CHRONIC_DRUGS) that is refilled monthly
CHRONIC_DIAGNOSES = np.array(["I10", "E11.9", "I10", "I25.1", "E11.9", "J44.9", "I10"])


@dataclass
class Population:
    n: int
    village: np.ndarray
    town: np.ndarray
    county: np.ndarray
    household: np.ndarray
    age: np.ndarray  # completed years on 2025-01-01
    male: np.ndarray
    birth_day: np.ndarray  # days since 1970-01-01
    poverty: np.ndarray
    death_day: np.ndarray  # day of 2025 (0..364) or -1
    has_account: np.ndarray  # employee insurance with a personal account
    chronic: np.ndarray  # index into CHRONIC_DIAGNOSES or -1
    frailty: np.ndarray
    person_id: np.ndarray
    card_id: np.ndarray
    phone: np.ndarray
    address: np.ndarray
    bank: np.ndarray
    # habits: provider index per person
    pref_village: np.ndarray
    pref_township: np.ndarray
    pref_hospital: np.ndarray
    pref_tertiary: np.ndarray
    pref_clinic: np.ndarray
    pref_pharmacy: np.ndarray
    pref_pharmacy2: np.ndarray
    chronic_doctor: np.ndarray  # doctor index or -1
    #: refills always carry the prescribing doctor (a doctor's panel at the pharmacy next door)
    steady_refill: np.ndarray
    #: tag of the hard-negative group whose habits the background claims follow, else -1
    group_tag: np.ndarray


def _ages(n: int, rng: np.random.Generator) -> np.ndarray:
    bands = np.arange(0, 95, 5)
    share = np.array([5, 5, 5, 5, 6, 7, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1, 0.5])
    band = rng.choice(len(bands), n, p=share / share.sum())
    return bands[band] + rng.integers(0, 5, n)


def _id_numbers(county6: np.ndarray, birth_day: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Synthetic 身份证号: county, birth date, a sequence (odd for men) and the
    ISO 7064 MOD 11-2 check character. Unique by construction."""
    county = county6.astype(np.int64)
    key = (county * 100_000 + birth_day) * 2 + male
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(key)) - np.searchsorted(sorted_key, sorted_key, side="left")
    if rank.max(initial=0) >= 500:
        raise ValueError("too many people born on one day in one county for 3-digit sequences")
    seq = rank * 2 + male.astype(np.int64)
    birth = birth_day.astype("datetime64[D]")
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    number = ((county * 10_000 + year) * 100 + month) * 100 + day  # 14 digits
    body = np.char.add(digits_to_str(number, 14), digits_to_str(seq, 3))
    digits = body.astype("S17").view(np.uint8).reshape(len(body), 17) - 48
    check = _ID_CHECK[(digits.astype(np.int64) @ _ID_WEIGHTS) % 11]
    return np.char.add(body, check)


def build_population(
    world: World, n: int, seed: int, rng: np.random.Generator, flagship_share: float = 0.0
) -> Population:
    village_size = rng.lognormal(0.0, 0.5, world.n_villages)
    village = np.sort(rng.choice(world.n_villages, n, p=village_size / village_size.sum()))
    # households: consecutive people of a village, sizes 1..6
    hh_size = rng.choice(np.arange(1, 7), n, p=[0.15, 0.28, 0.25, 0.18, 0.09, 0.05])
    starts = np.cumsum(hh_size)
    starts = starts[starts < n]
    new_household = np.zeros(n, dtype=bool)
    new_household[starts] = True
    new_household |= np.concatenate(([True], village[1:] != village[:-1]))
    household = np.cumsum(new_household) - 1

    age = _ages(n, rng)
    male = rng.random(n) < 0.5
    birth_day = (YEAR_START // DAY) - age * 365 - rng.integers(1, 365, n) - age // 4
    town = world.village_town[village]
    county = world.town_county[town]
    urban = county == 0
    poverty = rng.random(n) < np.where(age >= 60, 0.08, 0.025) * np.where(urban, 0.4, 1.0)
    mortality = np.select([age >= 85, age >= 75, age >= 60], [0.08, 0.035, 0.012], 0.001)
    death_day = np.where(rng.random(n) < mortality, rng.integers(0, DAYS, n), -1)
    working = (age >= 18) & (age < 65)
    p_account = np.where(working, np.where(urban, 0.6, 0.3), np.where(age >= 65, 0.25, 0.0))
    has_account = rng.random(n) < p_account
    p_chronic = np.select([age >= 65, age >= 45, age >= 30], [0.4, 0.2, 0.04], 0.0)
    chronic = np.where(rng.random(n) < p_chronic, rng.integers(0, len(CHRONIC_DIAGNOSES), n), -1)
    frailty = rng.gamma(2.0, 0.5, n)

    person_id = _id_numbers(world.county_code[county], birth_day, male)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    card_id = np.char.add(
        letters[county % len(letters)], digits_to_str(scramble(np.arange(n), 10**8, seed), 8)
    )
    own_phone = np.char.add("1", digits_to_str(scramble(np.arange(n), 10**10, seed + 1), 10))
    head = np.searchsorted(household, household)  # first member of each household
    shares_phone = (age < 16) | ((age >= 75) & (rng.random(n) < 0.6))
    phone = np.where(shares_phone, own_phone[head], own_phone)
    house_no = household - household[np.searchsorted(village, village)] + 1
    address = np.char.add(np.char.add(world.village_code[village], "-"), digits_to_str(house_no, 4))
    bank = np.where(
        age >= 16,
        np.char.add("6217", digits_to_str(scramble(np.arange(n), 10**11, seed + 2), 15)),
        "",
    )

    pref_village = _pick_in(world, (VILLAGE,), "town", town, rng)
    pref_township = _pick_in(world, (TOWNSHIP,), "town", town, rng)
    pref_hospital = _pick_in(world, (COUNTY, PRIVATE), "county", county, rng)
    pref_tertiary = _pick_in(world, (TERTIARY,), "county", np.zeros(n, dtype=np.int64), rng)
    pref_clinic = _pick_in(world, (CLINIC,), "county", county, rng)
    pref_pharmacy = _pick_in(world, (PHARMACY,), "town", town, rng)
    pref_pharmacy = np.where(
        pref_pharmacy >= 0, pref_pharmacy, _pick_in(world, (PHARMACY,), "county", county, rng)
    )
    pref_pharmacy2 = _pick_in(world, (PHARMACY,), "county", county, rng)
    if flagship_share > 0:  # some shop at a city-centre flagship wherever they live
        flagship = world.flagships[rng.integers(0, len(world.flagships), n)]
        pref_pharmacy2 = np.where(rng.random(n) < flagship_share, flagship, pref_pharmacy2)
    # a village clinic only serves its own village; elsewhere the township centre does
    own_clinic = world.provider_town[np.maximum(pref_village, 0)] == town
    pref_village = np.where((pref_village >= 0) & own_clinic, pref_village, pref_township)
    chronic_site = np.where(rng.random(n) < 0.6, pref_township, pref_hospital)
    chronic_doctor = np.where(chronic >= 0, world.pick_doctor(chronic_site, rng.random(n)), -1)
    return Population(
        n=n,
        village=village,
        town=town,
        county=county,
        household=household,
        age=age,
        male=male,
        birth_day=birth_day,
        poverty=poverty,
        death_day=death_day,
        has_account=has_account,
        chronic=chronic,
        frailty=frailty,
        person_id=person_id,
        card_id=card_id,
        phone=phone,
        address=address,
        bank=bank,
        pref_village=pref_village,
        pref_township=pref_township,
        pref_hospital=pref_hospital,
        pref_tertiary=pref_tertiary,
        pref_clinic=np.where(pref_clinic >= 0, pref_clinic, pref_township),
        pref_pharmacy=pref_pharmacy,
        pref_pharmacy2=np.where(pref_pharmacy2 >= 0, pref_pharmacy2, pref_pharmacy),
        chronic_doctor=chronic_doctor,
        steady_refill=np.zeros(n, dtype=bool),
        group_tag=np.full(n, -1, dtype=np.int64),
    )


def _pick_in(
    world: World, tiers: tuple[int, ...], by: str, groups: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    return world.tier_sampler(tiers, by).sample(groups, rng)
