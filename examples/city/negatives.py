"""Hard negatives: legitimate group behaviour that naive co-occurrence flags. Each differs
from fraud the way real life does: families share an address and come rarely; screening
days and check-ups happen once or twice; rush-hour swipes follow a hospital visit and
involve different people each day; a chronic panel buys ordinary doses of ordinary drugs
next door to its doctor, month after month."""

from __future__ import annotations

import numpy as np

from graphscan.examples.city import catalog
from graphscan.examples.city.background import typical_cost
from graphscan.examples.city.batch import (
    B_CATARACT,
    B_COMMON,
    B_HIGH_VALUE,
    B_OUTPATIENT,
    B_SCREENING,
    INPATIENT,
    OUTPATIENT,
    PHARMACY_KIND,
    ClaimBatch,
    make_batch,
)
from graphscan.examples.city.catalog import SCREENING_DIAGNOSIS
from graphscan.examples.city.fraud import Rng, pick_provider, staff, within_group_cumsum
from graphscan.examples.city.population import Population
from graphscan.examples.city.sampling import DAY, DAYS, YEAR_START
from graphscan.examples.city.scenario import Scenario
from graphscan.examples.city.truth import Group, PersonPool, Truth
from graphscan.examples.city.world import (
    COUNTY,
    PHARMACY,
    PRIVATE,
    TERTIARY,
    TOWNSHIP,
    VILLAGE,
    World,
)


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
                tag=group.tag,
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
    doctors = staff(
        world.doctor_first, world.doctor_count, provider, 3, rng, truth.doctors, truth.ring_doctors
    )
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
        # a site whose every doctor works for a ring screens with no doctor recorded
        doctor=doctors[rng.integers(0, len(doctors), n)] if len(doctors) else None,
        operator=operators[rng.integers(0, len(operators), n)],
        diagnosis=SCREENING_DIAGNOSIS,
        spread=0.0,
        tag=group.tag,
    )


def screening_days(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> ClaimBatch:
    """A village's adults go through the township health centre (or their village
    clinic) on one day; some towns run a spring and an autumn round."""
    batches = []
    clinics = np.flatnonzero(world.provider_tier == VILLAGE)  # one per village, in order
    for village in np.sort(
        rng.choice(world.n_villages, min(count, world.n_villages), replace=False)
    ):
        town = world.village_town[village]
        centre = np.flatnonzero((world.provider_tier == TOWNSHIP) & (world.provider_town == town))
        if not len(centre):
            continue
        # where a ring holds the township centre, the village clinic screens instead
        centre = centre[0] if centre[0] not in truth.ring_providers else clinics[village]
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
        batches.append(_screen(world, truth, group, persons, int(centre), days, rng))
    return ClaimBatch.concat(batches)


def checkups(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> ClaimBatch:
    """A school's pupils or a company's staff examined at a hospital on one or two days;
    staff come from many villages, as unrelated as a card-lending ring."""
    batches = []
    for _ in range(count):
        hospital = pick_provider(
            world, (COUNTY, TERTIARY), True, rng, truth.providers, exclude=truth.ring_providers
        )
        if hospital < 0:
            break
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
        if not len(catchment):  # every living person of the county is taken by other groups
            continue
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
                tag=group.tag,
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
                tag=group.tag,
            )
        )
    return ClaimBatch.concat(batches)


def chronic_panels(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> None:
    """A doctor's chronic patients all refill monthly, with the doctor's prescription, at
    the pharmacy next door. Only habits change: the background writes the refills."""
    for _ in range(count):
        site = pick_provider(
            world, (TOWNSHIP, COUNTY), True, rng, truth.providers, exclude=truth.ring_providers
        )
        if site < 0:
            break
        town = world.provider_town[site]
        door = np.flatnonzero(world.provider_near == site)
        if not len(door):
            door = np.flatnonzero((world.provider_tier == PHARMACY) & (world.provider_town == town))
        door = door[~np.isin(door, list(truth.ring_providers))]
        if not len(door):
            continue
        pharmacy = int(door[0])
        doctors = staff(
            world.doctor_first, world.doctor_count, site, 1, rng, truth.doctors, truth.ring_doctors
        )
        if not len(doctors):  # every doctor of the site already works for a ring
            continue
        doctor = int(doctors[0])
        eligible = (people.chronic >= 0) & (people.town == town) & (people.death_day < 0)
        patients = pool.take(int(rng.integers(15, 41)), eligible)
        if len(patients) < 5:
            continue
        people.chronic_doctor[patients] = doctor
        people.pref_pharmacy[patients] = pharmacy
        people.steady_refill[patients] = True
        group = truth.new_negative("chronic_refill")
        people.group_tag[patients] = group.tag
        group.add("doctor", doctor)
        group.add("pharmacy", pharmacy)
        group.add_people(patients)


def cataract_campaigns(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> ClaimBatch:
    """白内障复明: a hospital (a county or private eye hospital) buses in elderly villagers
    for free cataract surgery: dozens admitted once each within a few weeks, with the same
    diagnosis, procedure and bill; some come back weeks later for the second eye. Once,
    not again and again: a campaign, not a ring."""
    batches = []
    for _ in range(count):
        hub = bool(rng.random() < 0.5)
        inst = pick_provider(
            world, (COUNTY, PRIVATE), hub, rng, truth.providers, exclude=truth.ring_providers
        )
        if inst < 0:
            break
        county = world.provider_county[inst]
        in_county = np.flatnonzero(world.town_county[world.village_town] == county)
        villages = rng.choice(
            in_county, min(len(in_county), int(rng.integers(2, 6))), replace=False
        )
        elderly = np.isin(people.village, villages) & (people.age >= 60) & (people.death_day < 0)
        persons = pool.take(int(rng.integers(20, 81)), elderly)
        if len(persons) < 10:
            continue
        group = truth.new_negative("cataract_campaign")
        doctors = staff(
            world.doctor_first, world.doctor_count, inst, 2, rng, truth.doctors, truth.ring_doctors
        )
        group.add("institution", inst)
        group.add("doctor", doctors)
        group.add_people(persons)
        n = len(persons)
        first = int(rng.integers(30, DAYS - 80))
        buses = first + np.sort(rng.choice(np.arange(21), int(rng.integers(2, 7)), replace=False))
        day = buses[rng.integers(0, len(buses), n)]
        second = np.flatnonzero(rng.random(n) < rng.uniform(0.15, 0.4))
        person = np.concatenate((persons, persons[second]))
        day = np.concatenate((day, day[second] + rng.integers(14, 43, len(second))))
        m = len(person)
        los = rng.integers(1, 4, m)
        admit = YEAR_START + day * DAY + rng.integers(7 * 3600, 10 * 3600, m)
        batches.append(
            make_batch(
                person,
                INPATIENT,
                np.full(m, inst),
                admit,
                B_CATARACT,
                (4_000 + 45 * los + rng.uniform(40, 120, m)) * 100,
                doctor=doctors[rng.integers(0, len(doctors), m)] if len(doctors) else None,
                operator=world.pick_operator(np.full(m, inst), rng.random(m)),
                end=admit + los * DAY,
                diagnosis="H25.9",
                n_drugs=1,
                tag=group.tag,
                spread=0.05,
            )
        )
    return ClaimBatch.concat(batches)


def _relative_diagnosis(people: Population, relative: np.ndarray, rng: Rng) -> np.ndarray:
    """What a relative is treated for: children's colds, women's complaints, the elderly's
    chronic ailments (so the card holder's sex and age often do not fit)."""
    age, male = people.age[relative], people.male[relative]
    elderly = rng.choice(np.array(["I10", "M17.9", "H25.9"]), len(relative))
    return np.select(
        [age < 16, (~male) & (age < 60), age >= 60],
        ["J06.9", "N76.0", elderly],
        "K29.7",
    )


def mutual_aid(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> ClaimBatch:
    """家庭共济: since 2021 an employee's personal account may pay for spouse, parents and
    children, so the employee's card is used for relatives: at their pharmacy or clinic,
    for complaints that do not fit the card holder's sex or age, sometimes in another
    town (parents at home) while the employee shops at their own pharmacy. Legal."""
    payer_ok = people.has_account & (people.age >= 25) & (people.age <= 60) & (people.death_day < 0)
    candidates = np.flatnonzero(payer_ok & pool.unused)
    batches = []
    planted = 0
    for payer in rng.choice(candidates, min(3 * count, len(candidates)), replace=False).tolist():
        if planted >= count:
            break
        lo, hi = np.searchsorted(
            people.household, [people.household[payer], people.household[payer] + 1]
        )
        home = np.arange(lo, hi)
        family = home[(home != payer) & (people.death_day[home] < 0)]
        if not pool.free(home):
            continue
        parent = np.zeros(0, dtype=np.int64)
        if rng.random() < 0.6:  # an elderly parent in another village of the county
            elsewhere = (people.village != people.village[payer]) & (
                people.county == people.county[payer]
            )
            parent = pool.take(1, elsewhere & (people.age >= 65) & (people.death_day < 0))
            if len(parent) and rng.random() < 0.6:
                people.phone[parent] = people.phone[payer]  # the child's phone on record
        relatives = np.concatenate((family, parent))
        if not len(relatives):
            continue
        members = np.concatenate(([payer], relatives))
        pool.mark(members)
        planted += 1
        group = truth.new_negative("mutual_aid")
        group.add_people(members)
        uses = int(rng.integers(6, 21))
        relative = relatives[rng.integers(0, len(relatives), uses)]
        at_clinic = rng.random(uses) < 0.3
        provider = np.where(
            at_clinic, people.pref_village[relative], people.pref_pharmacy[relative]
        )
        day = np.sort(rng.integers(0, DAYS, uses))
        start = YEAR_START + day * DAY + rng.integers(8 * 3600, 19 * 3600, uses)
        dx = _relative_diagnosis(people, relative, rng)
        batches.append(
            make_batch(
                np.full(uses, payer),
                np.where(at_clinic, OUTPATIENT, PHARMACY_KIND),
                provider,
                start,
                np.where(at_clinic, B_OUTPATIENT, B_COMMON),
                rng.lognormal(np.log(8_000), 0.5, uses),
                doctor=np.where(at_clinic, world.pick_doctor(provider, rng.random(uses)), -1),
                operator=world.pick_operator(provider, rng.random(uses)),
                diagnosis=np.where(at_clinic, dx, ""),
                n_drugs=rng.integers(1, 3, uses),
                tag=group.tag,
            )
        )
        # now and then the employee shops at home the same hour (twice at once, legally)
        also = np.flatnonzero(rng.random(uses) < 0.15)
        own = np.full(len(also), people.pref_pharmacy[payer])
        batches.append(
            make_batch(
                np.full(len(also), payer),
                PHARMACY_KIND,
                own,
                start[also] + rng.integers(-3600, 3600, len(also)),
                B_COMMON,
                rng.lognormal(np.log(5_000), 0.5, len(also)),
                operator=world.pick_operator(own, rng.random(len(also))),
                n_drugs=1,
                tag=group.tag,
            )
        )
    return ClaimBatch.concat(batches)


#: special diseases treated with an expensive drug from the pharmacy facing the hospital
#: (门诊慢特病, 双通道): diagnosis and the drug's index in the high-value pool
_SPECIAL = (("C92.1", 5), ("C90.0", 1), ("C34.9", 0), ("C50.9", 6))


def special_refills(
    world: World, people: Population, pool: PersonPool, truth: Truth, count: int, rng: Rng
) -> ClaimBatch:
    """Patients of one specialist at a big hospital refill an expensive special-disease
    drug every month at the pharmacy facing the hospital, with the specialist's
    prescription, seeing the specialist every one to three months. High value and a
    steady doctor-pharmacy flow, but next door, monthly and clinically consistent."""
    batches = []
    for _ in range(count):
        door = np.flatnonzero(
            (world.provider_near >= 0)
            & ~np.isin(np.arange(len(world.provider_tier)), list(truth.providers))
        )
        if not len(door):
            break
        weight = world.provider_weight[door]
        pharmacy = int(rng.choice(door, p=weight / weight.sum()))
        truth.providers.add(pharmacy)
        hospital = int(world.provider_near[pharmacy])
        doctor = staff(
            world.doctor_first,
            world.doctor_count,
            hospital,
            1,
            rng,
            truth.doctors,
            truth.ring_doctors,
        )
        if not len(doctor):
            continue
        code, drug = _SPECIAL[int(rng.integers(0, len(_SPECIAL)))]
        eligible = (people.age >= 30) & (people.age <= 85) & (people.death_day < 0)
        if world.provider_tier[hospital] != TERTIARY:
            eligible &= people.county == world.provider_county[hospital]
        patients = pool.take(int(rng.integers(8, 26)), eligible)
        if len(patients) < 4:
            continue
        group = truth.new_negative("special_refill")
        group.add("doctor", doctor)
        group.add("pharmacy", pharmacy)
        group.add_people(patients)
        first = rng.integers(0, 3, len(patients))
        months = 12 - first
        person = np.repeat(patients, months)
        month = np.concatenate([np.arange(f, 12) for f in first.tolist()])
        keep = rng.random(len(person)) < 0.95
        person, month = person[keep], month[keep]
        n = len(person)
        day_of_month = np.repeat(rng.integers(1, 27, len(patients)), months)[keep]
        day = np.minimum(month * 30 + day_of_month + rng.integers(-2, 3, n), DAYS - 1)
        visit = YEAR_START + day * DAY + rng.integers(8 * 3600, 11 * 3600, n)
        seen = rng.random(n) < 0.5  # a visit every second month or so
        at = np.full(int(seen.sum()), hospital)
        batches.append(
            make_batch(
                person[seen],
                OUTPATIENT,
                at,
                visit[seen],
                B_OUTPATIENT,
                typical_cost(np.full(len(at), code), world.provider_tier[at], False, rng),
                doctor=np.full(len(at), doctor[0]),
                operator=world.pick_operator(at, rng.random(len(at))),
                diagnosis=code,
                n_drugs=1,
                tag=group.tag,
            )
        )
        price = catalog.HIGH_VALUE_DRUGS.prices[drug] * 100
        batches.append(
            make_batch(
                person,
                PHARMACY_KIND,
                np.full(n, pharmacy),
                visit + rng.integers(30 * 60, 150 * 60, n),
                B_HIGH_VALUE,
                price * rng.choice([1, 2], n, p=[0.7, 0.3]),
                doctor=np.full(n, doctor[0]),
                operator=world.pick_operator(np.full(n, pharmacy), rng.random(n)),
                diagnosis=code,
                drug_base=np.full(n, drug),
                n_drugs=1,
                tag=group.tag,
                spread=0.0,
            )
        )
    return ClaimBatch.concat(batches)


#: the crowds the reference city lacks, planted as often as the scenario says
NEW_CROWD_PLANTERS = {
    "cataract_campaign": cataract_campaigns,
    "mutual_aid": mutual_aid,
    "special_refill": special_refills,
}


def plant_negatives(
    world: World, people: Population, s: Scenario, pool: PersonPool, truth: Truth, rng: Rng
) -> list[ClaimBatch]:
    n = people.n
    truth.rings_done()
    chronic_panels(world, people, pool, truth, max(2, n // 6_000), rng)
    batches = [
        families(world, people, pool, truth, max(10, n // 500), rng),
        screening_days(world, people, pool, truth, max(2, world.n_villages // 10), rng),
        checkups(world, people, pool, truth, max(2, n // 8_000), rng),
        busy_pharmacies(world, people, pool, truth, max(1, n // 10_000), rng),
    ]
    for kind, planter in NEW_CROWD_PLANTERS.items():
        count = s.crowd_count(kind, n)
        if count:
            batches.append(planter(world, people, pool, truth, count, rng))
    return batches
