"""The fraud rings: two structurally different recipes per pattern (see the package
docstring for the signatures they leave). Sizes, rates and placement come from the
city's Scenario."""

from __future__ import annotations

import numpy as np

from graphscan.examples.city.background import expected_claims, typical_cost
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
from graphscan.examples.city.scenario import Range, Scenario
from graphscan.examples.city.truth import Group, PersonPool, Truth
from graphscan.examples.city.world import COUNTY, PHARMACY, PRIVATE, TERTIARY, TOWNSHIP, World

Rng = np.random.Generator


def pick_int(rng: Rng, span: Range) -> int:
    """An integer of [low, high); a one-value range costs no draw (the reference city's
    fixed choices keep their bytes)."""
    low, high = span
    return low if high - low <= 1 else int(rng.integers(low, high))


def chance(rng: Rng, p: float) -> bool:
    """A coin with probability ``p``; certain outcomes cost no draw."""
    return p >= 1.0 if p <= 0.0 or p >= 1.0 else bool(rng.random() < p)


def pick_provider(
    world: World,
    tiers: tuple[int, ...],
    hub: bool,
    rng: np.random.Generator,
    taken: set[int],
    where: np.ndarray | None = None,
    exclude: set[int] | None = None,
    shun: set[int] | None = None,
) -> int:
    """A hub (among the busiest third of its tiers, by size) or an ordinary small
    provider, not yet ``taken`` by another planted group while any is left (so that
    rings stay apart in the truth); the choice is added to ``taken``. Where every one is
    taken, one outside ``shun`` (the providers of rings of the same pattern: two rings
    of one pattern at one desk are one group in the data, whatever the truth calls
    them). Providers in ``exclude`` are never chosen (-1 when nothing else is left): a
    legitimate crowd never shares its place with a ring."""
    mask = np.isin(world.provider_tier, tiers)
    if exclude:
        mask &= ~np.isin(np.arange(len(mask)), list(exclude))
        if not mask.any():
            return -1
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
    for fallback in (chosen, idx):  # all are taken: one that no ring of the pattern holds
        if not len(free):
            free = fallback[~np.isin(fallback, list(shun or ()))]
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
    exclude: set[int] | None = None,
) -> np.ndarray:
    """k distinct staff members (doctors or operators) of one provider, preferring those
    not yet ``taken`` by a planted group (the choice is added to ``taken``) and never
    one in ``exclude`` (a ring's staff is no member of a legitimate crowd)."""
    members = first[provider] + rng.permutation(int(count[provider]))
    if exclude:
        members = members[~np.isin(members, list(exclude))]
    if taken is not None:
        members = members[np.argsort(np.isin(members, list(taken)), kind="stable")]
        taken.update(members[:k].tolist())
    return members[:k]


def within_group_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` restarting at each new value of (sorted) ``group``."""
    total = np.cumsum(values)
    start = np.searchsorted(group, group, side="left")
    return total - np.where(start > 0, total[np.maximum(start - 1, 0)], 0)


def card_stack(
    world: World,
    people: Population,
    s: Scenario,
    hub: bool,
    pool: PersonPool,
    truth: Truth,
    rng: Rng,
) -> ClaimBatch:
    """Recipe "stack": an operator keeps unrelated people's cards and swipes the stack in
    bursts, again and again."""
    tag, ring = truth.new_ring("card_lending", "stack")
    shun = truth.anchors(ring.kind)
    pharmacy = pick_provider(world, (PHARMACY,), hub, rng, truth.providers, shun=shun)
    outlets = [pharmacy]
    # a broker carries the stack to two more pharmacies in other towns, each counter
    # seeing it rarely; some rings swipe for one undesignated outlet elsewhere
    draw = rng.random()
    roaming = s.stack_roaming
    more = 2 if draw < roaming else 1 if draw < roaming + s.stack_extra_outlet else 0
    for _ in range(more):
        away = ~np.isin(world.provider_town, world.provider_town[outlets])
        outlets.append(
            pick_provider(world, (PHARMACY,), False, rng, truth.providers, away, shun=shun)
        )
    operators = [
        int(staff(world.operator_first, world.operator_count, p, 1, rng)[0]) for p in outlets
    ]
    k = pick_int(rng, s.stack_cards)
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
    n_days = pick_int(rng, s.stack_days)
    days = np.sort(rng.choice(DAYS, n_days, replace=False))
    present = rng.random((n_days, len(cards))) < s.stack_presence
    day_i, card_j = np.nonzero(present)
    order = (
        np.lexsort((rng.random(len(day_i)), day_i)) if s.stack_shuffled else np.arange(len(day_i))
    )
    day_i, card_j = day_i[order], card_j[order]
    gaps = rng.integers(*s.stack_gap_s, len(day_i))
    opening = rng.integers(9 * 3600, 19 * 3600, n_days)
    start = YEAR_START + days[day_i] * DAY + opening[day_i] + within_group_cumsum(gaps, day_i)
    outlet = rng.integers(0, len(outlets), n_days)[day_i]
    n = len(day_i)
    swipes = make_batch(
        cards[card_j],
        PHARMACY_KIND,
        np.array(outlets)[outlet],
        start,
        B_GOODS if s.stack_goods else B_COMMON,
        rng.lognormal(np.log(40_000 if s.stack_goods else 28_000), 0.3, n),
        operator=np.array(operators)[outlet],
        n_drugs=rng.integers(1, 4, n),
        tag=tag,
    )
    return ClaimBatch.concat([swipes, _owner_at_home(world, people, cards[card_j], start, s, rng)])


def _owner_at_home(
    world: World,
    people: Population,
    card: np.ndarray,
    start: np.ndarray,
    s: Scenario,
    rng: Rng,
) -> ClaimBatch:
    """Now and then the owner shops at home while the card is swiped far away (twice at
    once in two places); that purchase is genuine, not a fraud claim."""
    both = np.flatnonzero(rng.random(len(card)) < s.stack_twice_at_once)
    owner = card[both]
    home = people.pref_pharmacy[owner]
    return make_batch(
        owner,
        PHARMACY_KIND,
        home,
        start[both] + rng.integers(-1800, 1800, len(both)),
        B_COMMON,
        rng.lognormal(np.log(5_000), 0.5, len(both)),
        operator=world.pick_operator(home, rng.random(len(both))),
        n_drugs=1,
    )


def card_broker(
    world: World,
    people: Population,
    s: Scenario,
    hub: bool,
    pool: PersonPool,
    truth: Truth,
    rng: Rng,
) -> ClaimBatch:
    """Recipe "broker": a broker collects many unrelated cards and has them swiped in a
    few long sessions at one to three pharmacies, a card every few minutes, by whichever
    operator is at the counter. Each card is swiped only once or twice: ring activity is
    a small share of its owner's own claims, so there is little lockstep to see."""
    tag, ring = truth.new_ring("card_lending", "broker")
    shun = truth.anchors(ring.kind)
    outlets = [pick_provider(world, (PHARMACY,), hub, rng, truth.providers, shun=shun)]
    for _ in range(pick_int(rng, s.broker_pharmacies) - 1):
        away = ~np.isin(world.provider_town, world.provider_town[outlets])
        outlets.append(
            pick_provider(world, (PHARMACY,), hub, rng, truth.providers, away, shun=shun)
        )
    k = pick_int(rng, s.broker_cards)
    eligible = (
        people.has_account
        & (people.death_day < 0)
        & (people.age >= 20)
        & ~np.isin(people.town, world.provider_town[outlets])
    )
    cards = pool.take(k, eligible)
    share = rng.uniform(*s.broker_share, len(cards))
    uses = np.maximum(1, rng.poisson(expected_claims(people, cards) * share / (1 - share)))
    n_sessions = pick_int(rng, s.broker_sessions)
    uses = np.minimum(uses, n_sessions)
    card_j = np.repeat(np.arange(len(cards)), uses)
    session = np.concatenate(
        [rng.choice(n_sessions, u, replace=False) for u in uses.tolist()]  # <= 60 cards
    )
    order = np.lexsort((rng.random(len(session)), session))
    session, card_j = session[order], card_j[order]
    days = np.sort(rng.choice(DAYS, n_sessions, replace=False))
    outlet_of = rng.integers(0, len(outlets), n_sessions)
    # one or two operators per pharmacy, whoever is on shift that day
    crews = [staff(world.operator_first, world.operator_count, p, 2, rng) for p in outlets]
    operator_of = np.array(
        [crews[o][rng.integers(0, len(crews[o]))] for o in outlet_of.tolist()], dtype=np.int64
    )
    n = len(session)
    gaps = rng.integers(60, 480, n)
    opening = rng.integers(9 * 3600, 13 * 3600, n_sessions)
    start = YEAR_START + days[session] * DAY + opening[session] + within_group_cumsum(gaps, session)
    used = np.unique(outlet_of)
    ring.add("pharmacy", np.array(outlets)[used])
    ring.add("operator", np.unique(operator_of))
    ring.add_people(cards)
    goods = rng.random() < 0.5
    swipes = make_batch(
        cards[card_j],
        PHARMACY_KIND,
        np.array(outlets)[outlet_of[session]],
        start,
        B_GOODS if goods else B_COMMON,
        rng.lognormal(np.log(35_000 if goods else 25_000), 0.35, n),
        operator=operator_of[session],
        n_drugs=rng.integers(1, 4, n),
        tag=tag,
    )
    return ClaimBatch.concat([swipes, _owner_at_home(world, people, cards[card_j], start, s, rng)])


def _staffed_hospitals(world: World, truth: Truth, k_doctors: int) -> np.ndarray:
    """Mask of tertiary and county hospitals with ``k_doctors`` doctors not yet planted."""
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
    return np.isin(np.arange(len(world.provider_tier)), big[free_doctors >= k_doctors])


_KICKBACK_DX = np.array(["I10", "E11.9", "J44.9"])


def kickback_prescription(
    world: World,
    people: Population,
    s: Scenario,
    hub: bool,
    pool: PersonPool,
    truth: Truth,
    rng: Rng,
) -> ClaimBatch:
    """Recipe "prescription": doctors send a group of patients with high-value external
    prescriptions (doctor_id on the fill) to a distant pharmacy, again and again;
    patients also resell through other outlets."""
    tag, ring = truth.new_ring("kickback", "prescription")
    # the hospital is not a ring member (its doctors are): it stays free for other rings
    k_doctors = pick_int(rng, s.kickback_doctors)
    staffed = _staffed_hospitals(world, truth, k_doctors)
    hospital = pick_provider(world, (TERTIARY, COUNTY), hub, rng, set(truth.providers), staffed)
    county = world.provider_county[hospital]
    doctors = staff(world.doctor_first, world.doctor_count, hospital, k_doctors, rng, truth.doctors)
    if s.kickback_far == "town":
        away = world.provider_town != world.provider_town[hospital]
    else:
        away = world.provider_county != county
    shun = truth.anchors(ring.kind)
    pharmacy = pick_provider(world, (PHARMACY,), hub, rng, truth.providers, away, shun=shun)
    k = pick_int(rng, s.kickback_patients)
    eligible = (people.age >= 35) & (people.age <= 80) & (people.death_day < 0)
    patients = pool.take(k, eligible & (people.county == county))
    ring.add("doctor", doctors)
    ring.add("pharmacy", pharmacy)
    ring.add_people(patients)
    visits = rng.integers(*s.kickback_visits, len(patients))
    person = np.repeat(patients, visits)
    n = len(person)
    day = rng.integers(0, DAYS - 1, n)
    doctor = doctors[rng.integers(0, len(doctors), n)]
    seen = YEAR_START + day * DAY + rng.integers(8 * 3600, 11 * 3600, n)
    dx = np.where(rng.random(n) < 0.6, "C34.9", rng.choice(_KICKBACK_DX, n))
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


def kickback_steering(
    world: World,
    people: Population,
    s: Scenario,
    hub: bool,
    pool: PersonPool,
    truth: Truth,
    rng: Rng,
) -> ClaimBatch:
    """Recipe "steering": two or three doctors of a big (at a hub: the busiest) hospital
    send 10-40 patients to one pharmacy in another county. The visit and the purchase
    are separate claims on the same or the next day and the purchase carries no
    doctor_id: only the timing ties the doctor to the pharmacy."""
    tag, ring = truth.new_ring("kickback", "steering")
    k_doctors = int(np.clip(pick_int(rng, s.kickback_doctors), 2, 3))
    staffed = _staffed_hospitals(world, truth, k_doctors)
    if hub:
        big = np.flatnonzero(staffed)
        hospital = int(big[np.argmax(world.provider_weight[big])])
    else:
        hospital = pick_provider(
            world, (TERTIARY, COUNTY), False, rng, set(truth.providers), staffed
        )
    county = world.provider_county[hospital]
    doctors = staff(world.doctor_first, world.doctor_count, hospital, k_doctors, rng, truth.doctors)
    away, shun = world.provider_county != county, truth.anchors(ring.kind)
    pharmacy = pick_provider(world, (PHARMACY,), False, rng, truth.providers, away, shun=shun)
    low = max(10, s.kickback_patients[0])
    k = int(rng.integers(low, max(low + 5, min(41, s.kickback_patients[1] + 10))))
    eligible = (people.age >= 35) & (people.age <= 80) & (people.death_day < 0)
    if world.provider_tier[hospital] != TERTIARY:  # the tertiary hospital serves the city
        eligible &= people.county == county
    patients = pool.take(k, eligible)
    ring.add("doctor", doctors)
    ring.add("pharmacy", pharmacy)
    ring.add_people(patients)
    visits = rng.integers(*s.kickback_visits, len(patients))
    person = np.repeat(patients, visits)
    n = len(person)
    day = rng.integers(0, DAYS - 1, n)
    doctor = doctors[rng.integers(0, len(doctors), n)]
    seen = YEAR_START + day * DAY + rng.integers(8 * 3600, 16 * 3600, n)
    dx = np.where(rng.random(n) < 0.5, "C34.9", rng.choice(_KICKBACK_DX, n))
    tier = world.provider_tier[np.full(n, hospital)]
    consult = make_batch(
        person,
        OUTPATIENT,
        np.full(n, hospital),
        seen,
        B_OUTPATIENT,
        typical_cost(dx, tier, False, rng),
        doctor=doctor,
        operator=world.pick_operator(np.full(n, hospital), rng.random(n)),
        diagnosis=dx,
        n_drugs=1,
        tag=tag,
    )
    next_day = rng.random(n) < 0.5
    bought = np.where(
        next_day,
        (seen // DAY + 1) * DAY + rng.integers(9 * 3600, 20 * 3600, n),
        seen + rng.integers(2 * 3600, 5 * 3600, n),
    )
    purchase = make_batch(
        person,
        PHARMACY_KIND,
        np.full(n, pharmacy),
        bought,
        B_HIGH_VALUE,
        rng.lognormal(np.log(700_000), 0.35, n),
        operator=world.pick_operator(np.full(n, pharmacy), rng.random(n)),
        drug_base=rng.integers(0, 4, n),
        n_drugs=rng.integers(1, 3, n),
        tag=tag,
    )
    return ClaimBatch.concat([consult, purchase])


def pick_many_pharmacies(world: World, n: int, rng: np.random.Generator) -> np.ndarray:
    idx = np.flatnonzero(world.provider_tier == PHARMACY)
    return rng.choice(idx, n)


_MILD = np.array(["M54.5", "J44.9", "I63.9", "K29.7", "M17.9"])


def _recruits(
    world: World,
    people: Population,
    s: Scenario,
    inst: int,
    pool: PersonPool,
    ring: Group,
    rng: Rng,
) -> np.ndarray:
    """Mostly elderly or poor villagers of 1-3 villages of the institution's county; a
    recruiter's phone is on many of their records."""
    county = world.provider_county[inst]
    in_county = np.flatnonzero(world.town_county[world.village_town] == county)
    villages = rng.choice(in_county, min(len(in_county), int(rng.integers(1, 4))), replace=False)
    home = np.isin(people.village, villages) & (people.death_day < 0)
    k = pick_int(rng, s.group_recruits)
    vulnerable = (people.age >= 60) | people.poverty
    recruits = pool.take(int(k * 0.8), home & vulnerable)
    recruits = np.concatenate((recruits, pool.take(k - len(recruits), home & (people.age >= 40))))
    recruiter = pool.take(1, home & (people.age >= 30) & (people.age < 60))
    linked = recruits[rng.random(len(recruits)) < s.group_phone_link]
    if len(recruiter) and len(linked):
        people.phone[linked] = people.phone[recruiter[0]]
        ring.add_people(recruiter)
    return recruits


def _paper_stays(
    world: World,
    people: Population,
    person: np.ndarray,
    admit: np.ndarray,
    los: np.ndarray,
    rng: Rng,
) -> ClaimBatch:
    """挂床: some recruits are in hospital on paper only and buy drugs at home meanwhile
    (genuine purchases, not fraud claims)."""
    away = np.flatnonzero(rng.random(len(person)) < 0.25)
    home = people.pref_pharmacy[person[away]]
    return make_batch(
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


def _ward(
    world: World,
    people: Population,
    s: Scenario,
    hub: bool,
    pool: PersonPool,
    truth: Truth,
    recipe: str,
    rng: Rng,
) -> tuple[int, int, np.ndarray, np.ndarray]:
    """What both group-hospitalisation recipes start from: a new ring (its tag), an
    institution, its recruits and 1-3 of its doctors, all members of the ring."""
    tag, ring = truth.new_ring("group_hospitalisation", recipe)
    tiers = (COUNTY, PRIVATE, TOWNSHIP) if hub else (PRIVATE, TOWNSHIP)
    inst = pick_provider(world, tiers, hub, rng, truth.providers, shun=truth.anchors(ring.kind))
    recruits = _recruits(world, people, s, inst, pool, ring, rng)
    k_doctors = int(rng.integers(1, 4))
    doctors = staff(world.doctor_first, world.doctor_count, inst, k_doctors, rng, truth.doctors)
    ring.add("institution", inst)
    ring.add("doctor", doctors)
    ring.add_people(recruits)
    return tag, inst, recruits, doctors


def _ward_stays(
    world: World,
    inst: int,
    doctors: np.ndarray,
    person: np.ndarray,
    admit: np.ndarray,
    los: np.ndarray,
    target: np.ndarray,
    dx: np.ndarray,
    tag: int,
    rng: Rng,
) -> ClaimBatch:
    """The ring's stays at its institution: admitted by one of the ring's doctors,
    settled by whoever is at the desk, billed close to ``target``."""
    n = len(person)
    return make_batch(
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


#: days between the first admissions of two waves beyond the wave's own window: the
#: longest stay (12 days) and a week, so the next wave is a new admission, not a
#: readmission during the stay
WAVE_GAP = 19


def _apart(days: np.ndarray, gap: int, last: int) -> np.ndarray:
    """Sorted ``days`` pushed apart to at least ``gap`` (forward, then back from
    ``last`` where that runs past it), without another random draw, so that every
    other ring of the city stays as drawn."""
    out = days.copy()
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    for i in range(len(out) - 1, -1, -1):
        out[i] = min(out[i], last if i == len(out) - 1 else out[i + 1] - gap)
    return out


def group_waves(
    world: World,
    people: Population,
    s: Scenario,
    hub: bool,
    pool: PersonPool,
    truth: Truth,
    rng: Rng,
) -> ClaimBatch:
    """Recipe "waves": an institution admits the same recruited villagers together, in
    waves, again and again, with similar stays, diagnoses and bills."""
    tag, inst, recruits, doctors = _ward(world, people, s, hub, pool, truth, "waves", rng)
    n_waves = pick_int(rng, s.group_waves)
    waves = _apart(
        np.sort(rng.choice(np.arange(20, DAYS - 30), n_waves, replace=False)),
        s.group_window_days + WAVE_GAP,
        DAYS - 30,
    )
    codes = rng.choice(_MILD, 2, replace=False)
    joins = rng.random((n_waves, len(recruits))) < s.group_join
    wave_i, who = np.nonzero(joins)
    n = len(wave_i)
    person = recruits[who]
    day = waves[wave_i] + rng.integers(0, s.group_window_days, n)
    base_los = int(rng.integers(7, 11))
    jitter = s.group_los_jitter
    los = base_los + rng.integers(-jitter, jitter + 1, n)
    dx = codes[rng.integers(0, len(codes), n)]
    tier = world.provider_tier[np.full(n, inst)]
    per_day = typical_cost(dx, tier, True, rng, noise=0.0)
    spread = s.group_cost_spread
    target = per_day * base_los * (1 + rng.uniform(-spread, spread, n))
    admit = YEAR_START + day * DAY + rng.integers(8 * 3600, 12 * 3600, n)
    at_home = _paper_stays(world, people, person, admit, los, rng)
    stays = _ward_stays(world, inst, doctors, person, admit, los, target, dx, tag, rng)
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


_UNINDICATED = np.array(["J06.9", "K29.7", "M54.5", "I10", "M17.9"])


def group_unindicated(
    world: World,
    people: Population,
    s: Scenario,
    hub: bool,
    pool: PersonPool,
    truth: Truth,
    rng: Rng,
) -> ClaimBatch:
    """Recipe "unindicated": recruits are fetched a few at a time (a van from the
    village, free meals and lodging) all year round and admitted for conditions that
    need no stay, each two or three times, on one package price. No wave: the same
    people at the same institution, with the same bill, spread over the year."""
    tag, inst, recruits, doctors = _ward(world, people, s, hub, pool, truth, "unindicated", rng)
    stays = rng.integers(*s.group_admissions, len(recruits))
    # vans leave at most weekly, 2-6 recruits each; a recruit rides distinct vans
    n_trips = max(int(stays.max(initial=1)), int(np.ceil(stays.sum() / 4)))
    grid = np.arange(10, DAYS - 20, 7)
    trip_day = np.sort(rng.choice(grid, min(n_trips, len(grid)), replace=False))
    who = np.repeat(np.arange(len(recruits)), stays)
    trip = np.concatenate(
        [rng.choice(len(trip_day), min(u, len(trip_day)), replace=False) for u in stays.tolist()]
    )
    who = who[: len(trip)]
    n = len(trip)
    person = recruits[who]
    los = rng.integers(4, 7, n)
    dx = rng.choice(rng.choice(_UNINDICATED, 2, replace=False), n)
    package = typical_cost(np.full(1, "M54.5"), world.provider_tier[[inst]], True, rng, noise=0.0)
    target = package[0] * 5 * (1 + rng.uniform(-s.group_cost_spread, s.group_cost_spread, n))
    admit = YEAR_START + trip_day[trip] * DAY + rng.integers(8 * 3600, 11 * 3600, n)
    at_home = _paper_stays(world, people, person, admit, los, rng)
    claims = _ward_stays(world, inst, doctors, person, admit, los, target, dx, tag, rng)
    return ClaimBatch.concat([claims, at_home])


def misuse_cashier(
    world: World,
    people: Population,
    s: Scenario,
    hub: bool,
    pool: PersonPool,
    truth: Truth,
    rng: Rng,
) -> ClaimBatch:
    """Recipe "cashier": an institution's cashier settles stays under other people's
    cards: the services do not fit the holder (sex, age, death) or overlap the holder's
    own stay elsewhere."""
    tag, ring = truth.new_ring("identity_misuse", "cashier")
    tiers = (COUNTY, PRIVATE, TOWNSHIP) if hub else (PRIVATE, TOWNSHIP)
    inst = pick_provider(world, tiers, hub, rng, truth.providers, shun=truth.anchors(ring.kind))
    operator = staff(world.operator_first, world.operator_count, inst, 1, rng)
    k = pick_int(rng, s.misuse_cards)
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


_ORDINARY_STAY = np.array(["I63.9", "K80.2", "M17.9", "J44.9", "I25.1"])


def misuse_far_cards(
    world: World,
    people: Population,
    s: Scenario,
    hub: bool,
    pool: PersonPool,
    truth: Truth,
    rng: Rng,
) -> ClaimBatch:
    """Recipe "far_cards": cards of holders living in another county are used for stays
    at one institution while the holders' own claims go on at home. No one cashier ties
    the stays together (whoever is at the desk settles them, and many systems record no
    operator for hospital settlements at all); some services are impossible for the
    holder's sex or age."""
    tag, ring = truth.new_ring("identity_misuse", "far_cards")
    tiers = (COUNTY, PRIVATE, TOWNSHIP) if hub else (PRIVATE, TOWNSHIP)
    inst = pick_provider(world, tiers, hub, rng, truth.providers, shun=truth.anchors(ring.kind))
    county = world.provider_county[inst]
    far = (people.county != county) & (people.death_day < 0)
    k = pick_int(rng, s.misuse_cards)
    impossible = rng.random(k) < s.misuse_impossible
    male, age = people.male, people.age
    prostate = pool.take(int(impossible.sum() + 1) // 2, far & ~male & (age >= 40) & (age <= 80))
    delivery = pool.take(
        int(impossible.sum()) // 2, far & ((~male & (age >= 58)) | male) & (age >= 25)
    )
    ordinary = pool.take(int((~impossible).sum()), far & (age >= 30) & (age <= 80))
    cards = np.concatenate((prostate, delivery, ordinary))
    code = np.concatenate(
        (
            np.full(len(prostate), "N40"),
            np.full(len(delivery), "O80"),
            rng.choice(_ORDINARY_STAY, len(ordinary)),
        )
    )
    ring.add("institution", inst)
    ring.add_people(cards)
    uses = rng.integers(1, 3, len(cards))
    person = np.repeat(cards, uses)
    dx = np.repeat(code, uses).astype("U8")
    n = len(person)
    day = rng.integers(5, DAYS - 15, n)
    los = rng.integers(4, 11, n)
    admit = YEAR_START + day * DAY + rng.integers(8 * 3600, 16 * 3600, n)
    tier = world.provider_tier[np.full(n, inst)]
    fake = make_batch(
        person,
        INPATIENT,
        np.full(n, inst),
        admit,
        B_INPATIENT,
        typical_cost(dx, tier, True, rng) * los,
        doctor=world.pick_doctor(np.full(n, inst), rng.random(n)),
        operator=world.pick_operator(np.full(n, inst), rng.random(n)),
        end=admit + los * DAY,
        diagnosis=dx,
        n_drugs=3,
        tag=tag,
    )
    # meanwhile the holders buy their usual drugs at home (genuine claims)
    home = people.pref_pharmacy[person]
    at_home = make_batch(
        person,
        PHARMACY_KIND,
        home,
        admit + rng.integers(1, np.maximum(2, los)) * DAY + rng.integers(8 * 3600, 18 * 3600, n),
        B_COMMON,
        rng.lognormal(np.log(6_000), 0.5, n),
        operator=world.pick_operator(home, rng.random(n)),
        n_drugs=1,
    )
    return ClaimBatch.concat([fake, at_home])


#: per pattern, its two recipes in the order of scenario.RECIPES
PLANTERS = {
    "card_lending": (card_stack, card_broker),
    "kickback": (kickback_prescription, kickback_steering),
    "group_hospitalisation": (group_waves, group_unindicated),
    "identity_misuse": (misuse_cashier, misuse_far_cards),
}


def recipe_plan(count: int, share: float) -> list[int]:
    """Which recipe each of ``count`` rings gets: the second recipe's share, rounded,
    but both recipes present whenever the share is strictly between 0 and 1."""
    second = round(count * share)
    if 0 < share < 1 and count >= 2:
        second = min(max(second, 1), count - 1)
    return [0] * (count - second) + [1] * second


def plant_rings(
    world: World, people: Population, s: Scenario, pool: PersonPool, truth: Truth, rng: Rng
) -> list[ClaimBatch]:
    count = s.rings_per_pattern(people.n)
    batches = []
    for pattern, planters in PLANTERS.items():
        for recipe in recipe_plan(count, s.second_recipe[pattern]):
            hub = chance(rng, s.hub)
            batches.append(planters[recipe](world, people, s, hub, pool, truth, rng))
    return batches
