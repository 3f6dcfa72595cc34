"""Card lending's crowd and pair searches on small hand-built membership lists: a broker's
thin sessions linked by the cards they share, rush hours full of one-off customers, and a
busy counter's rare customers meeting twice by chance."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from graphscan.detect.base import Frames
from graphscan.detect.card_lending import CardLending, Sessions, _evidence, _lockstep, _swiped_once
from graphscan.detect.engines.burst_sizes import BurstSizes
from graphscan.detect.engines.cooccurrence import (
    Crowding,
    Group,
    Params,
    find_groups,
    stranger_crowds,
)
from graphscan.detect.engines.recurrence import SessionRecurrence
from graphscan.detect.engines.significance import log10_fisher_many
from graphscan.store.communities import leiden_igraph


def _no_roaming() -> pd.DataFrame:
    """An empty card_roaming frame: no cards moving between pharmacies."""
    return pd.DataFrame(
        columns=[
            "provider_id",
            "operator_id",
            "day",
            "burst",
            "card_id",
            "person_id",
            "address_key",
            "claim_id",
            "card_swipes",
            "burst_cards",
        ]
    )


def _rows(venue: int, context: int, cards: list[str], visits: dict[str, int]) -> list[dict]:
    return [
        {
            "venue": venue,
            "site": f"P{venue}",
            "context": str(context),
            "size": len(cards),
            "entity": card,
            "n_entity": visits.get(card, 1),
            "claim_id": f"{venue}-{context}-{card}",
            "time": pd.NaT,
        }
        for card in cards
    ]


def _counts(
    rows: pd.DataFrame,
    slots: dict[int, tuple[float, float, float, float]],
    company: float = 0.0,
    walk_ins: float = 0.0,
    bursts: float = 1000.0,
) -> pd.DataFrame:
    """venue -> (strangers, slots, crowded strangers, crowded slots) over all its bursts,
    ``company``: the other cards a card finds in its burst there on average,
    ``walk_ins``: its customers a minute, and its ``bursts``."""
    counts = pd.DataFrame.from_dict(
        slots,
        orient="index",
        columns=["strangers", "slots", "crowded_strangers", "crowded_slots"],
    )
    return counts.assign(company=company, walk_ins=walk_ins, bursts=bursts)


def test_fisher_of_many_agrees_with_scipy() -> None:
    p = np.array([0.01, 0.2, 0.03])
    want = stats.combine_pvalues(p, method="fisher").pvalue
    assert np.isclose(10 ** log10_fisher_many(np.log10(p)), want)
    assert log10_fisher_many(np.array([-400.0, -300.0])) < -690  # no underflow
    assert np.isfinite(log10_fisher_many(np.full(8, -42.0)))


def test_thin_broker_sessions_linked_by_shared_cards_are_one_crowd() -> None:
    """Four sessions of eight cards at three counters where six in ten customers come
    once a year: no session alone is unusual there, but the same two cards in all four
    (and a third in three) link them, and together they are. The old test summed the
    strangers as one Poisson count and missed them."""
    shared = ["A", "B"]
    rows: list[dict] = []
    plan = [(0, 1, ["C"]), (0, 2, ["C"]), (1, 3, ["C"]), (2, 4, [])]
    for venue, context, extra in plan:
        own = [f"s{context}-{i}" for i in range(8 - len(shared) - len(extra))]
        rows += _rows(venue, context, shared + extra + own, {"A": 2, "B": 2, "C": 2})
    members = pd.DataFrame(rows)
    counts = _counts(members, {v: (400.0, 680.0, 0.0, 0.0) for v in (0, 1, 2)})
    crowds = stranger_crowds(members, counts, 2, 5, 1e-3, 20.0)
    assert len(crowds) == 1
    cards = {c for g in crowds[0] for c in g.entities}
    assert cards == set(members["entity"])
    summed = sum(g.observed for g in crowds[0])
    expected = sum(g.expected for g in crowds[0])
    bar = np.log10(1e-3) - np.log10(4)
    assert stats.poisson.logsf(summed - 1, expected) / np.log(10) > bar  # the old test


def test_a_rush_hour_of_one_off_customers_is_no_crowd() -> None:
    """At a busy counter most rush-hour customers come once a year (85 % of its crowded
    bursts' cards) while quiet hours bring regulars (44 % strangers overall): a rush-hour
    burst of 21 strangers in 24 cards is what its crowded bursts expect."""
    cards = [f"r{i}" for i in range(24)]
    members = pd.DataFrame(_rows(0, 7, cards, {c: 5 for c in cards[21:]}))
    counts = _counts(members, {0: (1016.0, 2329.0, 850.0, 1000.0)})
    assert stranger_crowds(members, counts, 2, 5, 1e-3, 20.0) == []
    quiet = _counts(members, {0: (1016.0, 2329.0, 0.0, 0.0)})
    assert len(stranger_crowds(members, quiet, 2, 5, 1e-3, 20.0)) == 1  # without rush hours


def test_one_odd_rush_hour_among_hundreds_pays_for_every_burst_that_could_be_one() -> None:
    """Three hundred bursts of ten at a counter where one card in seven is a stranger,
    and one burst with eight: alone that burst is a tail of about 1e-6, but every burst
    of five cards or more could have been the crowded one, so it pays for three hundred,
    not for the one that happened to be crowded. At a counter of ten such bursts the same
    burst is still a broker's session."""

    def counter(bursts: int) -> pd.DataFrame:
        rows: list[dict] = []
        for b in range(bursts):
            strangers = 8 if b == 0 else (1, 2)[b % 2]
            cards = [f"s{b}-{i}" for i in range(strangers)]
            cards += [f"r{(b + i) % 50}" for i in range(10 - strangers)]
            rows += _rows(0, b, cards, {c: 6 for c in cards if c.startswith("r")})
        return pd.DataFrame(rows)

    busy = counter(300)
    counts = _counts(busy, {0: (450.0 + 8, 3000.0, 0.0, 0.0)})
    assert stranger_crowds(busy, counts, 2, 5, 1e-3, 20.0) == []
    quiet = counter(10)
    counts = _counts(quiet, {0: (15.0 + 8, 100.0, 0.0, 0.0)})
    assert len(stranger_crowds(quiet, counts, 2, 5, 1e-3, 20.0)) == 1


def _busy_counter(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """400 rush-hour bursts of 20 cards, 4,000 customers with two visits each, and three
    of them planted in the same two bursts."""
    contexts = rng.permutation(np.repeat(np.arange(400), 20))
    entity = np.repeat([f"c{i}" for i in range(4000)], 2)
    contexts[:6] = [0, 1, 0, 1, 0, 1]
    frame = pd.DataFrame(
        {
            "venue": 0,
            "context": contexts.astype(str),
            "size": 20,
            "entity": entity,
            "n_entity": 2,
            "claim_id": [f"k{i}" for i in range(len(entity))],
        }
    ).drop_duplicates(["context", "entity"])
    sizes = pd.DataFrame({"venue": [0], "size": [20], "contexts": [400]})
    return frame, sizes


def test_rare_customers_meeting_twice_at_a_busy_counter_pay_for_the_pairs_searched() -> None:
    members, sizes = _busy_counter(np.random.default_rng(3))
    chance = Params(min_together=2)
    assert find_groups(members, sizes, chance, leiden_igraph)  # unpaid: chance is a ring
    paid = Params(min_together=2, pay_for_pairs=True)
    assert find_groups(members, sizes, paid, leiden_igraph) == []


def test_cards_attached_from_a_groups_bursts_are_members_not_evidence() -> None:
    """Three regulars in four of a counter's hundred rush hours of twenty cards, each of
    those bursts' seventeen other cards seen at the counter that once: the one-off cards
    join the group (every visit of theirs was in its bursts), but they were picked from
    those bursts, and counting them would make the bursts their own evidence (a busy
    pharmacy's regulars and their rush hours ranked among the top R, 2026-12). The group
    is judged as if they had never been read."""
    regulars = ["r0", "r1", "r2"]
    plan = [(b, [*regulars, *(f"o{b}-{i}" for i in range(17))]) for b in range(4)]
    plan += [(b, [f"w{b}-{i}" for i in range(20)]) for b in range(4, 100)]
    rows = [r for b, cards in plan for r in _rows(0, b, cards, dict.fromkeys(regulars, 4))]
    members = pd.DataFrame(rows).assign(size=20)
    sizes = pd.DataFrame({"venue": [0], "size": [20], "contexts": [100]})
    params = CardLending().cooccurrence
    [grown] = find_groups(members, sizes, params, leiden_igraph)
    assert sorted(grown.entities) == sorted({r["entity"] for r in rows[: 4 * 20]})
    unread = members[~members["entity"].str.startswith("o")]
    [alone] = find_groups(unread, sizes, params, leiden_igraph)
    assert sorted(alone.entities) == regulars
    evidence = (grown.quorum, grown.observed, grown.expected, grown.tests)
    assert evidence == (alone.quorum, alone.observed, alone.expected, alone.tests)


def test_stack_at_a_quiet_counter_survives_paying_for_the_pairs() -> None:
    """Six cards swiped together twice at a counter of 1,000 one-off customers."""
    stack = [f"s{i}" for i in range(6)]
    rows = _rows(0, 1, stack, dict.fromkeys(stack, 2)) + _rows(0, 2, stack, dict.fromkeys(stack, 2))
    rows += [r for i in range(1000) for r in _rows(0, 10 + i, [f"o{i}"], {})]
    members = pd.DataFrame(rows)
    sizes = pd.DataFrame({"venue": [0, 0], "size": [1, 6], "contexts": [1000, 2]})
    groups = find_groups(members, sizes, Params(min_together=2, pay_for_pairs=True), leiden_igraph)
    assert [sorted(g.entities) for g in groups] == [stack]
    assert groups[0].tests >= 15  # the pairs among the six strangers were paid for


def test_an_outing_is_one_trip_and_a_bag_of_cards_comes_back() -> None:
    trip = [_group(0, ["1"], ["v1", "v2", "v3"]), _group(0, ["2"], ["v4", "v5"])]
    members = pd.DataFrame(_rows(0, 1, ["v1", "v2", "v3"], {}) + _rows(0, 2, ["v4", "v5"], {}))
    assert _swiped_once(trip, Sessions(members))
    bag = [_group(0, ["1"], ["v1", "v2", "v3"]), _group(1, ["1"], ["v1", "v2", "v9"])]
    members = pd.DataFrame(
        _rows(0, 1, ["v1", "v2", "v3"], {}) + _rows(1, 1, ["v1", "v2", "v9"], {})
    )
    assert not _swiped_once(bag, Sessions(members))


def _group(venue: int, contexts: list[str], cards: list[str]) -> Group:
    return Group(venue, cards, contexts, 3, [], len(cards), 0.0, 1, 0, kind="strangers")


def test_one_off_customers_in_a_quiet_hour_are_judged_by_the_counters_overall_share() -> None:
    """A counter whose rush hours are regulars (5 % strangers) but whose customers are
    four in ten one-off overall: seven one-off customers in one burst are what its overall
    share expects, whichever hour they came."""
    cards = [f"q{i}" for i in range(7)]
    members = pd.DataFrame(_rows(0, 3, cards, {}))
    counts = _counts(members, {0: (681.0, 1754.0, 20.0, 400.0)})
    assert stranger_crowds(members, counts, 2, 5, 1e-3, 20.0) == []


def test_groups_of_one_counter_swiped_in_the_same_bursts_are_one_stack() -> None:
    """A stack's regulars and the cards it swipes once or twice are found by different
    searches and share no card, but they were swiped in the same sessions: one ring. A
    group at another counter sharing neither cards nor sessions stays apart."""
    regulars = Group(0, ["r1", "r2", "r3"], ["1", "2", "3", "4"], 3, [], 4, 0.1, 1, 3)
    rare = Group(0, ["s1", "s2", "s3"], ["2", "3"], 3, [], 2, 0.0, 1, 3)
    elsewhere = Group(1, ["t1", "t2", "t3"], ["2", "3"], 3, [], 2, 0.0, 1, 3)
    stacks = _lockstep([regulars, rare, elsewhere], [])
    assert sorted(len(s) for s in stacks) == [1, 2]
    assert {g.venue for s in stacks if len(s) == 2 for g in s} == {0}


def _sessions(plan: list[tuple[int, int, list[str]]], visits: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([r for venue, ctx, cards in plan for r in _rows(venue, ctx, cards, visits)])


def _bag_of_cards() -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """Two sessions of eight cards at one pharmacy that share four of them."""
    shared = ["A", "B", "C", "D"]
    plan = [
        (0, 1, shared + [f"x{i}" for i in range(4)]),
        (0, 2, shared + [f"y{i}" for i in range(4)]),
    ]
    members = _sessions(plan, dict.fromkeys(shared, 2))
    return shared, members, _counts(members, {0: (420.0, 700.0, 0.0, 0.0)})


def test_a_brokers_sessions_sharing_their_cards_are_a_crowd_where_strangers_are_common() -> None:
    """Two sessions of eight cards at one pharmacy whose customers are six in ten one-off:
    neither session is unusual for its strangers, but four cards come back in the second
    one where the cards' own paces give 0.14: the broker's bag of cards."""
    _, members, counts = _bag_of_cards()
    assert stranger_crowds(members, counts, 2, 5, 1e-3, 20.0) == []  # strangers alone
    crowds = stranger_crowds(members, counts, 2, 5, 1e-3, 20.0, recurrence_weight=20.0)
    assert len(crowds) == 1 and crowds[0][0].kind == "recurring"
    crowd = crowds[0][0]
    assert crowd.observed == 4 and crowd.expected == pytest.approx(8 * 12 / 700, rel=1e-6)
    assert crowd.entities == sorted(set(members["entity"]))


def test_a_household_coming_back_is_one_card_not_a_recurrence() -> None:
    """The same four cards again, but they are one family: one shared card, no crowd."""
    shared, members, counts = _bag_of_cards()
    family = pd.Series("home-1", index=shared)
    assert (
        stranger_crowds(members, counts, 2, 5, 1e-3, 20.0, household=family, recurrence_weight=20.0)
        == []
    )


def test_rush_hours_sharing_customers_everywhere_set_the_pharmacys_own_excess() -> None:
    """Sixty rush hours of a busy pharmacy drawing on a clientele of 450 cards, each
    swiped in two of them: sessions share cards far more often than paces predict, all
    over. Two of them sharing three is the pharmacy's habit, and no crowd; judged by the
    paces alone, a pair of them would expect far fewer."""
    rng = np.random.default_rng(7)
    seats = rng.permutation(np.repeat(np.arange(450), 2))
    plan = [
        (0, s, [f"c{c}" for c in dict.fromkeys(seats[15 * s : 15 * s + 15])] + [f"o{s}"])
        for s in range(60)
    ]
    members = _sessions(plan, {f"c{c}": 2 for c in range(450)})
    counts = _counts(members, {0: (2850.0, 3000.0, 0.0, 0.0)})
    assert stranger_crowds(members, counts, 2, 5, 1e-3, 20.0, recurrence_weight=20.0) == []
    sessions = pd.MultiIndex.from_tuples([(0, str(s)) for s in range(60)])
    slots = pd.Series({0: 3000.0})
    busy = SessionRecurrence(members, sessions, slots, None, 20.0)
    pair = [(0, "0"), (0, "1")]
    alone = SessionRecurrence(members, pd.MultiIndex.from_tuples(pair), slots, None, 20.0)
    assert busy.test(pair).expected > 1.5 * alone.test(pair).expected


def test_a_stack_and_a_crowd_in_one_ring_are_judged_on_the_stronger_never_summed() -> None:
    """A stack's regulars (three bursts where chance gives none) and the crowd of its
    one-off cards (46 strangers where 45 are expected) are one ring: summing bursts and
    strangers into one count (49 against 45) hid it."""
    regulars = Group(0, ["r1", "r2", "r3"], ["1", "2", "3"], 3, [], 3, 1e-6, 38, 3)
    crowd = Group(0, ["s1", "s2"], ["2"], 5, [], 46, 45.0, 84, 0, kind="strangers", log10_p=-0.1)
    evidence = _evidence([regulars, crowd])
    alone = _evidence([regulars])
    assert evidence.signal == "repeat" and (evidence.observed, evidence.expected) == (3, 1e-6)
    assert alone.log10_tail is None  # a stack of repeat groups alone is unchanged
    bursts = stats.poisson.logsf(2, 1e-6) / np.log(10) + np.log10(38)
    assert evidence.log10_tail == pytest.approx(bursts + np.log10(2))
    assert evidence.tests == 1


def _quiet_counter_stack() -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """A counter of 60 one-off customers a year and one stack of 15 cards swiped in 20
    bursts, each card in two of three: the stack makes up its big bursts."""
    rng = np.random.default_rng(5)
    stack = [f"s{i:02d}" for i in range(15)]
    present = rng.random((20, 15)) < 2 / 3
    visits = dict(zip(stack, present.sum(axis=0).tolist(), strict=True))
    plan = [
        (0, b, [c for c, here in zip(stack, present[b], strict=True) if here]) for b in range(20)
    ]
    plan += [(0, 100 + i, [f"o{i}"]) for i in range(60)]
    members = _sessions(plan, visits)
    bursts = members.groupby("context")["entity"].nunique().value_counts()
    sizes = pd.DataFrame({"venue": 0, "size": bursts.index, "contexts": bursts.to_numpy()})
    return members, sizes, stack


def test_a_stack_making_up_a_quiet_counters_big_bursts_does_not_explain_itself() -> None:
    """Each pair of the stack meets about as often as the big bursts (its own) predict:
    no pair is an edge by chance alone, yet the cards were swiped together in most of
    each other's bursts."""
    members, sizes, stack = _quiet_counter_stack()
    params = Params(min_together=3)
    assert find_groups(members, sizes, params, leiden_igraph) == []
    groups = find_groups(members, sizes, replace(params, devoted=0.5), leiden_igraph)
    assert [g.entities for g in groups] == [stack]
    assert groups[0].observed >= 15


def test_a_groups_visits_taken_out_of_its_bursts_are_bursts_of_their_own() -> None:
    """With the stack taken out of its bursts, its 200 visits are no longer crowded into
    the counter's 60 other seats (more than three members a seat): each is a burst."""
    members, sizes, stack = _quiet_counter_stack()
    rows = members[members["entity"].isin(stack)]
    crowding = Crowding.of(rows, sizes)
    visits = float(rows.drop_duplicates("entity")["n_entity"].sum())
    assert crowding.rate == pytest.approx(visits / (60 + len(rows)))
    assert crowding.rate < 1


def test_a_few_cards_coming_back_together_are_a_family_whatever_their_addresses() -> None:
    """Six relatives from three households shopping together five times (家庭共济 across
    households): found only by their cards coming back, a family; a crowd of strangers
    with known households is judged as before."""
    relatives = [f"f{i}" for i in range(6)]
    homes = pd.Series([f"home-{i // 2}" for i in range(6)], index=relatives)
    back = [
        Group(v, relatives, ["1"], 5, [], 10 if v == 0 else 0, 1.3, 0, 0, kind="recurring")
        for v in (0, 1)
    ]
    members = _sessions([(0, 1, relatives), (1, 1, relatives)], dict.fromkeys(relatives, 2))
    counts = _counts(members, {v: (300.0, 1000.0, 0.0, 0.0) for v in (0, 1)})
    lending = CardLending()
    assert lending._household(back, None, homes, Sessions(members), counts)
    strangers = [replace(g, kind="strangers") for g in back]
    assert not lending._household(strangers, None, homes, Sessions(members), counts)
    # a broker's bag at counters where seven in ten customers are strangers: four cards
    # come back, eight more swiped once (as many strangers as such counters serve
    # anyway), where a card finds another card in every second burst: eight beside the
    # four in two sessions are collected cards, no family's walk-ins
    bag = [*relatives[:4], *(f"once{i}" for i in range(8))]
    sessions = [(0, 1, bag[:8]), (1, 1, [*bag[:4], *bag[8:]])]
    members = _sessions(sessions, dict.fromkeys(relatives, 2))
    counts = _counts(members, {v: (700.0, 1000.0, 0.0, 0.0) for v in (0, 1)}, company=0.5)
    crowd = [replace(g, entities=sorted(bag)) for g in back]
    assert not lending._household(crowd, None, pd.Series(dtype=object), Sessions(members), counts)


def test_a_regular_served_beside_a_family_twice_is_not_one_of_it() -> None:
    """A family of six in six visits to a counter of 1,700 bursts a year, one of the
    counter's regulars (fourteen bursts there) swiped just before it in two of them: two
    of six visits are what a regular's fourteen give by chance once any of the family's
    neighbours in the queue may be the one, so six cards come back, a household (a
    family of six and a regular, 2026-12). A seventh card seen at that counter only in
    two of the family's visits comes back with it: seven are more than a household."""
    family = [f"f{i}" for i in range(6)]
    plan = [[*family, "regular"] if b in (1, 4) else family for b in range(6)]
    visits = {**dict.fromkeys(family, 6), "regular": 14, "seventh": 2}
    members = _sessions([(0, b, cards) for b, cards in enumerate(plan)], visits)
    counts = _counts(members, {0: (200.0, 1900.0, 0.0, 0.0)}, company=0.3, bursts=1700.0)
    found = [Group(0, [*family, "regular"], [str(b) for b in range(6)], 6, [], 36, 1e-8, 1, 21)]
    lending = CardLending()
    unknown = pd.Series(dtype=object)
    assert lending._household(found, None, unknown, Sessions(members), counts)
    plan = [[*family, "seventh"] if b in (1, 4) else family for b in range(6)]
    members = _sessions([(0, b, cards) for b, cards in enumerate(plan)], visits)
    found = [replace(found[0], entities=[*family, "seventh"])]
    assert not lending._household(found, None, unknown, Sessions(members), counts)


def test_a_stack_that_is_a_fifth_of_a_quiet_counter_keeps_its_cards() -> None:
    """Twelve cards at a quiet counter (94 bursts a year) swiped in seventeen sessions,
    each in seven to fourteen of them out of its eleven to eighteen bursts there (d2403's
    stack): each burst falls in the stack's sessions at 17/94, and nine cards come back
    by the binomial tail, more than a household, where a Poisson tail at the same means
    let only six come back and took the stack for a family. Seven cards with a
    household's five, each seen in two of its sessions out of thirteen bursts, are the
    counter's regulars and do not come back."""
    seen = [(7, 11), (8, 13), (8, 11), (10, 12), (10, 13), (10, 15)]
    seen += [(11, 12), (12, 16), (12, 14), (13, 18), (13, 17), (14, 15)]
    cards = [f"c{i:02d}" for i in range(12)]
    plan = [
        [c for i, (c, (k, _)) in enumerate(zip(cards, seen, strict=True)) if (b - 3 * i) % 17 < k]
        for b in range(17)
    ]
    visits = {c: n for c, (_, n) in zip(cards, seen, strict=True)}
    members = _sessions([(0, b, chosen) for b, chosen in enumerate(plan)], visits)
    counts = _counts(members, {0: (20.0, 300.0, 0.0, 0.0)}, company=0.5, bursts=94.0)
    found = [Group(0, cards, [str(b) for b in range(17)], 4, [], 66, 1e-8, 1, 0)]
    lending = CardLending()
    unknown = pd.Series(dtype=object)
    assert not lending._household(found, None, unknown, Sessions(members), counts)
    family = cards[:5]
    plan = [[*family, cards[5 + b % 7]] if b < 14 else family for b in range(17)]
    visits = {**dict.fromkeys(family, 17), **dict.fromkeys(cards[5:], 13)}
    members = _sessions([(0, b, chosen) for b, chosen in enumerate(plan)], visits)
    found = [replace(found[0], entities=cards)]
    assert lending._household(found, None, unknown, Sessions(members), counts)


def test_walk_ins_beside_a_family_coming_back_make_it_no_larger() -> None:
    """A family of five found by its cards coming back in five visits, a one-off
    customer served beside it in two of them, at a counter where a card finds 0.3 others
    in its burst and three in ten customers are strangers: two walk-ins in five visits
    are what the counter gives anyone, so the family (seven cards counted whole) is one.
    The same five with eight cards swiped once beside them are a bag of collected cards."""
    family = [f"f{i}" for i in range(5)]
    plan = [[*family, "walk-in"], family, [*family, "villager"], family, family]
    members = _sessions([(0, b, cards) for b, cards in enumerate(plan)], dict.fromkeys(family, 5))
    counts = _counts(members, {0: (300.0, 1000.0, 0.0, 0.0)}, company=0.3)
    cards = sorted(set(members["entity"]))
    found = [Group(0, cards, [str(b) for b in range(5)], 5, [], 20, 0.6, 1, 0, kind="recurring")]
    lending = CardLending()
    assert lending._household(found, None, pd.Series(dtype=object), Sessions(members), counts)
    plan = [[*family, *(f"once{b}-{i}" for i in range(2))] for b in range(4)] + [family]
    members = _sessions([(0, b, cards) for b, cards in enumerate(plan)], dict.fromkeys(family, 5))
    bag = [replace(found[0], entities=sorted(set(members["entity"])))]
    assert not lending._household(bag, None, pd.Series(dtype=object), Sessions(members), counts)


def test_a_familys_slow_visits_bring_the_walk_ins_of_their_minutes() -> None:
    """A family of five coming back four times, each visit's swipes spread over twenty
    minutes, ten of the counter's other customers (each seen there three times a year)
    served between them, at a counter where a card finds half a card in its burst: a
    burst's company alone expects two, but twenty minutes of that counter's walk-ins
    (ln 1.25 / 10 a minute, from the same company) bring almost two more, and ten is no
    longer beyond a family's visits (a family of five and its walk-ins, 2026-12). Four
    regulars swiped over those minutes beside eight others a session are still a bag."""
    family = [f"f{i}" for i in range(5)]
    plan = [[*family, *(f"w{b}-{i}" for i in range(2 + (b < 2)))] for b in range(4)]
    start = pd.Timestamp("2025-04-10 16:30")

    def timed(plan: list[list[str]], returning: list[str]) -> pd.DataFrame:
        """The returning cards' swipes over twenty minutes of each visit, the others
        between them."""
        members = _sessions([(0, b, cards) for b, cards in enumerate(plan)], {})
        coming = members["entity"].isin(returning)
        members["n_entity"] = np.where(coming, 4, 3)
        slot = members.groupby([members["context"], coming]).cumcount()
        count = members.groupby([members["context"], coming])["entity"].transform("size")
        minutes = np.where(coming, 20.0 * slot / (count - 1), 20.0 * (slot + 0.5) / count)
        day = pd.to_timedelta(members["context"].astype(int), unit="D")
        members["time"] = start + day + pd.to_timedelta(minutes, unit="min")
        return members

    members = timed(plan, family)
    cards = sorted(set(members["entity"]))
    found = [Group(0, cards, [str(b) for b in range(4)], 5, [], 20, 0.6, 1, 0, kind="recurring")]
    slots = {0: (300.0, 1000.0, 0.0, 0.0)}
    lending = CardLending()
    unknown = pd.Series(dtype=object)
    counts = _counts(members, slots, company=0.5)
    assert not lending._household(found, None, unknown, Sessions(members), counts)
    counts = _counts(members, slots, company=0.5, walk_ins=np.log1p(0.25) / 10)
    assert lending._household(found, None, unknown, Sessions(members), counts)
    regulars = family[:4]
    members = timed([[*regulars, *(f"once{b}-{i}" for i in range(8))] for b in range(4)], regulars)
    bag = [replace(found[0], entities=sorted(set(members["entity"])))]
    assert not lending._household(bag, None, unknown, Sessions(members), counts)


def test_walk_ins_in_a_familys_long_bursts_make_it_no_larger() -> None:
    """A family of six whose visits are also long bursts at its counter (found both by
    its cards coming back and as a crowd of long bursts), a one-off customer served in
    one of them: the crowd of long bursts is judged on the cards that come back, like
    the family's repeat group, so seven cards are still one family. Counted whole, the
    crowd's seven cards were taken for a ring (a family of six and its walk-in, 2026-12)."""
    family = [f"f{i}" for i in range(6)]
    plan = [[*family, "walk-in"], family, family, family]
    members = _sessions([(0, b, cards) for b, cards in enumerate(plan)], dict.fromkeys(family, 4))
    counts = _counts(members, {0: (300.0, 1000.0, 0.0, 0.0)}, company=0.3)
    repeat = Group(0, family, ["0", "1", "2", "3"], 6, [], 4, 0.01, 1, 15)
    long = Group(0, [*family, "walk-in"], ["0", "1"], 7, [], 2, 0.01, 1, 0, kind="size")
    unknown = pd.Series(dtype=object)
    lending = CardLending()
    assert lending._household([repeat, long], None, unknown, Sessions(members), counts)
    plan = [[*family, *(f"once{b}-{i}" for i in range(4))] for b in range(4)]
    members = _sessions([(0, b, cards) for b, cards in enumerate(plan)], dict.fromkeys(family, 4))
    bag = replace(long, entities=sorted(set(members["entity"])), contexts=["0", "1", "2", "3"])
    assert not lending._household([repeat, bag], None, unknown, Sessions(members), counts)


def _counter_of(plan: list[list[str]], visits: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One counter's bursts (``plan``) beside 300 lone one-off customers and 350 lone
    regulars' visits: three in ten of its swipes are by cards seen once or twice."""
    members = _sessions([(0, b, cards) for b, cards in enumerate(plan)], visits)
    rest = pd.DataFrame({"venue": 0, "size": [1], "contexts": [650]})
    bursts = members.groupby("context")["entity"].nunique().value_counts()
    sizes = pd.concat(
        [rest, pd.DataFrame({"venue": 0, "size": bursts.index, "contexts": bursts.to_numpy()})]
    )
    return members, sizes


def test_a_customer_served_beside_a_family_makes_it_no_larger() -> None:
    """A family of six swiped together three times, a one-off customer served in one of
    those bursts: the seventh card is attached (its one visit was inside the group's
    bursts) but does not come back, and one stranger beside a family is what a counter
    where three in ten customers are strangers expects. Counted on all its cards the
    family (seven) was taken for a ring."""
    family = [f"f{i}" for i in range(6)]
    members, sizes = _counter_of([family, [*family, "walk-in"], family], dict.fromkeys(family, 3))
    lending = CardLending()
    groups = find_groups(members, sizes, lending.cooccurrence, leiden_igraph)
    assert [g.entities for g in groups] == [sorted([*family, "walk-in"])]
    counts = _counts(members, {0: (300.0 + 1, 1000.0 + 19, 0.0, 0.0)})
    unknown = pd.Series(dtype=object)
    assert lending._household(groups, None, unknown, Sessions(members), counts)


def test_a_few_regulars_swiped_with_many_one_off_cards_are_a_stack_not_a_family() -> None:
    """Five regulars swiped together four times, each time with three cards the counter
    sees only then: the five come back (a family's size), but twelve strangers beside them
    where three in ten are expected are collected cards swiped once."""
    regulars = [f"r{i}" for i in range(5)]
    plan = [regulars + [f"once{b}-{i}" for i in range(3)] for b in range(4)]
    members, sizes = _counter_of(plan, dict.fromkeys(regulars, 4))
    lending = CardLending()
    groups = find_groups(members, sizes, lending.cooccurrence, leiden_igraph)
    assert len(groups) == 1 and len(groups[0].entities) == 17
    counts = _counts(members, {0: (300.0 + 12, 1000.0 + 32, 0.0, 0.0)})
    assert not lending._household(groups, None, pd.Series(dtype=object), Sessions(members), counts)


def test_a_card_swiped_in_two_of_a_stacks_sessions_joins_it_where_chance_rarely_does() -> None:
    """A stack of ten cards, each in about half of its six sessions (draw 1039): four of
    them meet in three or more, the rest in two of those four sessions, at a counter whose
    customers come one at a time. Two visits in the stack's sessions by a card seen there
    three times is no chance; a regular seen forty times in two of them is. Attached only
    at three, the four cards were left, taken for a family."""
    core = ["c0", "c1", "c2", "c3"]
    plan = [
        [*core, "t0", "t1"],
        [*core, "t0", "t2"],
        [*core[:3], "t1", "regular"],
        [*core[1:], "t2", "regular"],
    ]
    visits = {**dict.fromkeys(core, 4), "t0": 3, "t1": 3, "t2": 3, "regular": 40}
    members, sizes = _counter_of(plan, visits)
    lending = CardLending()
    groups = find_groups(members, sizes, lending.cooccurrence, leiden_igraph)
    assert [g.entities for g in groups] == [sorted([*core, "t0", "t1", "t2"])]
    counts = _counts(members, {0: (300.0, 1000.0 + 20, 0.0, 0.0)})
    assert not lending._household(groups, None, pd.Series(dtype=object), Sessions(members), counts)


def test_a_known_household_among_a_sessions_strangers_counts_once() -> None:
    """A family of six swiped together at four counters of one pharmacy, a stranger at
    each (operators take turns, draw 1028): one customer per session, no crowd of
    strangers; their addresses unknown, six strangers in each of four sessions."""
    family = [f"f{i}" for i in range(6)]
    members = _sessions([(v, 1, family) for v in range(4)], {})
    members["site"] = "P0"
    counts = _counts(members, {v: (300.0, 1000.0, 0.0, 0.0) for v in range(4)})
    home = pd.Series("home-1", index=family)
    assert stranger_crowds(members, counts, 2, 5, 1e-3, 20.0, household=home) == []
    assert stranger_crowds(members, counts, 2, 5, 1e-3, 20.0, household=pd.Series(dtype=object))


def _pharmacy_frames(sessions: dict[int, list[tuple[str, str, str | None]]]) -> Frames:
    """One counter (P1, O1) of a busy pharmacy: 500 one-off customers from its own
    township, 20 one-off travellers, 50 regulars swiping ten times each, all in bursts of
    their own, and ``sessions`` (burst -> (card, home village, household key)) of cards
    swiped there at most twice, away from home (a neighbour where the village is None):
    the frames ``decide`` reads."""
    ids = pd.Series([c for cards in sessions.values() for c, _, _ in cards]).value_counts()
    swipes = [
        {
            "provider_id": "P1",
            "operator_id": "O1",
            "burst": burst,
            "card_id": card,
            "person_id": card,
            "address_key": key,
            "home_region": village,
            "claim_id": f"c-{burst}-{card}",
            "start_time": pd.Timestamp("2025-03-01 09:00") + pd.Timedelta(days=burst),
            "card_bursts": ids[card],
            "burst_cards": len(cards),
        }
        for burst, cards in sessions.items()
        for card, village, key in cards
    ]
    crowded = pd.Series([len(c) for c in sessions.values()]).value_counts()
    sizes = pd.DataFrame(
        {
            "provider_id": "P1",
            "operator_id": "O1",
            "size": [1, *crowded.index],
            "bursts": [500 + 20 + 500, *crowded.to_numpy()],
            "strangers": [520, *(crowded.index * crowded).to_numpy()],
        }
    )
    far = {c: village is not None for cards in sessions.values() for c, village, _ in cards}
    away = pd.DataFrame(
        {
            "provider_id": "P1",
            "card_id": [f"local{i}" for i in range(500)]
            + [f"traveller{i}" for i in range(20)]
            + [f"regular{i}" for i in range(50)]
            + list(ids.index),
            "basis": "address",
            "away": [0] * 500 + [1] * 20 + [0] * 50 + [int(far[c]) for c in ids.index],
            "swipes": [1] * 520 + [10] * 50 + list(ids),
        }
    )
    roaming = _no_roaming()
    tables = {
        "card_bursts": pd.DataFrame(swipes),
        "card_roaming": roaming,
        "card_burst_sizes": sizes,
        "card_away": away,
    }
    return Frames(tables)


def test_a_brokers_thin_sessions_at_a_busy_pharmacy_stand_out_by_their_away_strangers() -> None:
    """Half of a busy counter's customers come once a year, but nearly all of them live
    nearby: two sessions of seven one-off cards from three villages elsewhere are no
    crowd of strangers there (half of seven is its usual), yet seven travellers where two
    in a hundred of its swipes are is a broker's session, and the counter's two are one
    stack. A thinner session swiping one of its cards again with three more travellers
    joins it (its neighbour does not). A screening day's seven villagers, all from one
    village, are an outing; a family of five from one household counts once."""
    villages = ["330702002001", "330702002002", "330702002003"]
    broker = {
        burst: [(f"b{burst}-{i}", villages[i % 3], None) for i in range(7)] for burst in (1, 2)
    }
    thin = [("b1-0", villages[0], None), *((f"t{i}", villages[i], None) for i in range(3))]
    broker[5] = [*thin, ("neighbour", None, None)]
    outing = {3: [(f"v{i}", "330703001009", None) for i in range(7)]}
    family = {4: [(f"f{i}", villages[0], "home-f") for i in range(5)]}
    found = CardLending().decide(_pharmacy_frames({**broker, **outing, **family}))
    assert len(found) == 1
    cards = {m.id for m in found[0].members if m.kind == "card"}
    assert cards == {card for cards_ in broker.values() for card, _, _ in cards_} - {"neighbour"}
    assert found[0].method["signal"] == "away"
    assert "away from their holders' home township" in found[0].explain_en
    assert found[0].support_p is None  # the far-away cards found it: no support again
    # the counter's usual share of one-off cards alone sees nothing in these sessions
    plain = _pharmacy_frames({**broker, **outing, **family})
    plain.tables["card_away"]["away"] = 0
    assert CardLending().decide(plain) == []


def _sized_counter(big_bursts: int, sessions: dict[int, list[str]]) -> Frames:
    """A counter (P1, O1) whose customers nearly all come once a year and one at a time,
    ``big_bursts`` more bursts of ten cards (a rush hour), the broker's ``sessions``
    (burst -> cards, all living nearby), and an ordinary counter (P2, O2) where a few
    come in twos and threes: the frames ``decide`` reads."""
    frames = _pharmacy_frames(
        {b: [(c, None, None) for c in cards] for b, cards in sessions.items()}
    )
    sizes = frames.tables["card_burst_sizes"]
    sizes.loc[sizes["size"] == 1, "strangers"] = sizes.loc[sizes["size"] == 1, "bursts"]
    extra = pd.DataFrame(
        {
            "provider_id": ["P1", "P2", "P2", "P2"],
            "operator_id": ["O1", "O2", "O2", "O2"],
            "size": [10, 1, 2, 3],
            "bursts": [big_bursts, 2000, 200, 20],
            "strangers": [10 * big_bursts, 2000, 400, 60],
        }
    )
    frames.tables["card_burst_sizes"] = pd.concat([sizes, extra[extra["bursts"] > 0]])
    return frames


def test_burst_sizes_expect_long_bursts_only_where_the_counter_has_them() -> None:
    """A burst of eight cards is far beyond a counter whose bursts are ones and twos, and
    no evidence at one with daily rush hours (or at one whose other bursts reach that
    size); the session tested is taken out of its counter's counts (a lone long burst
    does not make itself usual)."""
    sizes = pd.DataFrame(
        {
            "venue": [1, 1, 1, 2, 2, 2],
            "size": [1, 2, 8, 1, 8, 12],
            "contexts": [500, 20, 1, 300, 60, 40],
        }
    )
    null = BurstSizes(sizes, weight=20.0)
    tails = null.log10_tails(np.array([1, 2]), np.array([8, 8]), np.array([8, 8]))["log10_p"]
    assert tails[0] < -3
    assert tails[1] == 0.0
    alone = BurstSizes(sizes[sizes["venue"] == 1], weight=0.0)
    # the tested burst out: twenty twos among 520 bursts, nothing longer
    assert alone.log10_tails(np.array([1]), np.array([8]), np.array([2]))["log10_p"][0] == 0.0
    assert alone.log10_tails(np.array([1]), np.array([8]), np.array([3]))["log10_p"][0] < -8


def test_a_brokers_sessions_far_longer_than_the_counters_bursts_are_a_ring() -> None:
    """Two sessions of eight cards sharing two, at a counter whose customers come once a
    year and one at a time: no crowd of strangers (every customer there is one), no away
    cards (the holders live nearby), too few shared cards for the recurrence test, but
    bursts of eight where the counter's bursts are ones: a broker's bag, signal "size".
    The same sessions at a counter with sixty rush hours of ten cards are nothing, and so
    is one such session alone (a busy hour happens)."""
    shared = ["s0", "s1"]
    sessions = {
        1: [*shared, *(f"a{i}" for i in range(6))],
        2: [*shared, *(f"b{i}" for i in range(6))],
    }
    found = CardLending().decide(_sized_counter(0, sessions))
    assert len(found) == 1
    assert found[0].method["signal"] == "size"
    cards = {m.id for m in found[0].members if m.kind == "card"}
    assert cards == {c for cards_ in sessions.values() for c in cards_}
    assert "burst sizes expect" in found[0].explain_en
    assert CardLending().decide(_sized_counter(60, sessions)) == []
    assert CardLending().decide(_sized_counter(0, {1: sessions[1]})) == []


def _stack_counter(sessions: list[list[str]], walk_ins: int) -> Frames:
    """A quiet counter (P1, O1) whose only bursts of two or more are one operator's
    ``sessions`` of a few regular cards from different households and villages, beside
    ``walk_ins`` one-off customers served one at a time, and a busy counter elsewhere
    (P2, O2) whose customers come in ones, twos and threes: the frames ``decide`` reads."""
    plan = [(b, cards) for b, cards in enumerate(sessions)]
    plan += [(100 + i, [f"w{i}"]) for i in range(walk_ins)]
    bursts = pd.Series([c for _, cards in plan for c in cards]).value_counts()
    swipes = pd.DataFrame(
        [
            {
                "provider_id": "P1",
                "operator_id": "O1",
                "burst": float(b),
                "card_id": card,
                "person_id": card,
                "address_key": f"home-{card}",
                "home_region": f"33070{i % 3}001001",
                "claim_id": f"c-{b}-{card}",
                "start_time": pd.Timestamp("2025-03-01 09:00") + pd.Timedelta(days=b),
                "card_bursts": int(bursts[card]),
                "burst_cards": len(cards),
            }
            for b, cards in plan
            for i, card in enumerate(cards)
        ]
    )
    per = pd.Series([len(cards) for _, cards in plan]).value_counts().sort_index()
    once = {1: walk_ins, 2: 0, 3: 0}
    sizes = pd.DataFrame(
        {
            "provider_id": ["P1"] * len(per) + ["P2"] * 3,
            "operator_id": ["O1"] * len(per) + ["O2"] * 3,
            "size": [*per.index, 1, 2, 3],
            "bursts": [*per.to_numpy(), 2000, 200, 20],
            "strangers": [float(once.get(k, 0)) for k in per.index] + [1000.0, 200.0, 30.0],
        }
    )
    away = pd.DataFrame(
        {
            "provider_id": "P1",
            "card_id": list(bursts.index),
            "basis": "address",
            "away": 0,
            "swipes": bursts.to_numpy(),
        }
    )
    roaming = _no_roaming()
    return Frames(
        {
            "card_bursts": swipes,
            "card_roaming": roaming,
            "card_burst_sizes": sizes,
            "card_away": away,
        }
    )


def test_a_stack_that_is_a_quiet_counters_traffic_is_judged_by_its_burst_sizes() -> None:
    """Six regular cards swiped two to six at a time in 24 sessions, each card in about
    half of them, at a counter whose other customers come one at a time: the pairs meet
    as often as the counter's bursts (the stack's own) predict, and only some are devoted
    enough to form a group, whose test, the stack still in the background, is weak. Grown
    to the cards swiped in its sessions, the stack's sessions are bursts the counter's
    other bursts never reach: a ring, all six cards, signal "dense". The same cards each
    swiped alone at that counter are nothing."""
    rng = np.random.default_rng(7)
    stack = [f"s{i}" for i in range(6)]
    sessions: list[list[str]] = []
    while len(sessions) < 24:
        cards = [c for c in stack if rng.random() < 0.5]
        if len(cards) >= 2:
            sessions.append(cards)
    found = CardLending().decide(_stack_counter(sessions, walk_ins=15))
    assert len(found) == 1
    assert found[0].method["signal"] == "dense"
    assert found[0].log10_tail is not None and found[0].log10_tail < -10
    assert {m.id for m in found[0].members if m.kind == "card"} == set(stack)
    assert "other bursts expect" in found[0].explain_en
    alone = [[c] for cards in sessions for c in cards]
    assert CardLending().decide(_stack_counter(alone, walk_ins=15)) == []


def test_a_brokers_bags_linked_by_his_own_cards_are_one_crowd_of_long_bursts() -> None:
    """Four sessions of seven cards at a counter whose customers come one at a time,
    each a different bag of one-off cards but all swiping the broker's own two cards
    (four visits each, all of them in these sessions: no strangers there): linked by
    those two cards, the sessions are one crowd of bursts the counter never has, signal
    "size". The same two cards swiped in rush hours of a counter that has sixty of them
    link nothing worth a case."""
    own = ["r0", "r1"]
    sessions = {b: [*own, *(f"b{b}-{i}" for i in range(5))] for b in (1, 2, 3, 4)}
    found = CardLending().decide(_sized_counter(0, sessions))
    assert len(found) == 1
    assert found[0].method["signal"] == "size"
    cards = {m.id for m in found[0].members if m.kind == "card"}
    assert cards == {c for cards_ in sessions.values() for c in cards_}
    assert CardLending().decide(_sized_counter(60, sessions)) == []


def test_sessions_linked_by_regulars_past_one_bags_size_are_no_crowd() -> None:
    """The same four bags linked by two cards swiped in each, but a broker carries at
    most ``max_group`` cards: a part linked past that is a busy pharmacy's regulars
    chaining its busy hours (draw 823: 491 cards), and strangers alone link it, here
    nothing."""
    own = ["r0", "r1"]
    sessions = {b: [*own, *(f"b{b}-{i}" for i in range(5))] for b in (1, 2, 3, 4)}
    assert CardLending(max_group=20).decide(_sized_counter(0, sessions)) == []
    assert len(CardLending(max_group=22).decide(_sized_counter(0, sessions))) == 1
