"""Ground truth bookkeeping and the choice of who takes part: rings and hard-negative
groups draw distinct people, and every group lists its members as a perfect detector
should report them."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from graphscan.examples.city.population import Population
from graphscan.examples.city.world import World

#: how a member is resolved to its published id
_ENTITY = {
    "person": "person",
    "card": "card",
    "doctor": "doctor",
    "institution": "provider",
    "pharmacy": "provider",
    "operator": "operator",
}


@dataclass
class Group:
    """A ring (kind = pattern) or a hard-negative group (kind = family, ...). ``tag`` marks
    its claims: a ring's index for fraud claims, ``-2 - index`` for a negative group's."""

    group_id: str
    kind: str
    tag: int
    recipe: str = ""
    #: (member_kind, index into the entity's id array), in insertion order
    members: dict[tuple[str, int], None] = field(default_factory=dict)

    def add(self, member_kind: str, indices: np.ndarray | list[int] | int) -> None:
        for i in np.atleast_1d(np.asarray(indices, dtype=np.int64)).tolist():
            if i >= 0:
                self.members[(member_kind, i)] = None

    def add_people(self, persons: np.ndarray | list[int] | int) -> None:
        """A person takes part through their card: both are members."""
        self.add("person", persons)
        self.add("card", persons)


@dataclass
class Truth:
    rings: list[Group] = field(default_factory=list)
    negatives: list[Group] = field(default_factory=list)
    #: providers and doctors already at the centre of a planted group
    providers: set[int] = field(default_factory=set)
    doctors: set[int] = field(default_factory=set)
    #: those of the rings alone: legitimate crowds never use them
    ring_providers: set[int] = field(default_factory=set)
    ring_doctors: set[int] = field(default_factory=set)

    def rings_done(self) -> None:
        """Remember the rings' providers and doctors before the crowds are planted
        (ring members listed in the truth count too: a kickback ring's doctors are
        members, its hospital is not)."""
        self.ring_providers = set(self.providers) | {
            i
            for ring in self.rings
            for kind, i in ring.members
            if kind in ("institution", "pharmacy")
        }
        self.ring_doctors = set(self.doctors)

    def anchors(self, pattern: str) -> set[int]:
        """The providers that rings of ``pattern`` hold as members."""
        return {
            i
            for ring in self.rings
            if ring.kind == pattern
            for kind, i in ring.members
            if kind in ("institution", "pharmacy")
        }

    def new_ring(self, pattern: str, recipe: str) -> tuple[int, Group]:
        tag = len(self.rings)
        ring = Group(f"R{tag + 1:04d}", pattern, tag, recipe)
        self.rings.append(ring)
        return tag, ring

    def new_negative(self, kind: str) -> Group:
        index = len(self.negatives)
        group = Group(f"N{index + 1:04d}", kind, -2 - index)
        self.negatives.append(group)
        return group

    def write(
        self,
        out: Path,
        people: Population,
        world: World,
        fraud_ids: np.ndarray,
        fraud_rings: np.ndarray,
        seen: Seen,
    ) -> None:
        """rings.csv, fraud_claims.csv and hard_negatives.csv (always CSV: small, and read
        by people as much as by the scorer). Members are listed as the written claims show
        them: a doctor or operator that no claim of the group records is left out (a
        detector cannot report it), so is a person on no claim at all, and a card is the
        card_id its claims carry (the ID number where card_id is empty or equal to
        person_id)."""
        ids = {
            "person": people.person_id,
            "doctor": world.doctor_id,
            "provider": world.provider_id,
            "operator": world.operator_id,
        }

        def rows(group: Group) -> list[tuple[str, str]]:
            out_rows = set()
            for kind, i in group.members:
                if kind == "card":
                    out_rows.update(("card", c) for c in seen.cards_of(group.tag, i, people))
                elif seen.shows(group.tag, kind, i):
                    out_rows.add((kind, str(ids[_ENTITY[kind]][i])))
            return sorted(out_rows)

        with open(out / "rings.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["ring_id", "pattern", "member_kind", "member_id", "recipe"])
            for ring in self.rings:
                w.writerows([ring.group_id, ring.kind, k, m, ring.recipe] for k, m in rows(ring))
        with open(out / "hard_negatives.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["group_id", "kind", "member_kind", "member_id"])
            for group in self.negatives:
                w.writerows([group.group_id, group.kind, k, m] for k, m in rows(group))
        ring_ids = np.array([r.group_id for r in self.rings])
        order = np.argsort(fraud_ids, kind="stable")
        with open(out / "fraud_claims.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["claim_id", "ring_id"])
            w.writerows(zip(fraud_ids[order], ring_ids[fraud_rings[order]], strict=True))


class Seen:
    """What the written claims show: the doctors and operators each planted group's
    claims record, the card value (card number or ID number) each member used in them,
    and, for members without such claims (a recruiter, a relative), which card values
    their ordinary claims carry. A person on no claim at all is invisible."""

    def __init__(self, persons: int) -> None:
        self._staff: list[np.ndarray] = []
        self._cards: list[np.ndarray] = []
        self.by_card = np.zeros(persons, dtype=bool)  # some claim carries the card number
        self.by_id = np.zeros(persons, dtype=bool)  # some claim carries the ID number

    def add(
        self,
        tag: np.ndarray,
        doctor: np.ndarray,
        operator: np.ndarray,
        person: np.ndarray,
        shows_id: np.ndarray,
    ) -> None:
        """Record the written ids of a block's claims."""
        self.by_card[person[~shows_id]] = True
        self.by_id[person[shows_id]] = True
        mine = tag != -1
        t = tag[mine]
        for code, staff in ((0, doctor[mine]), (1, operator[mine])):
            kept = staff >= 0
            self._staff.append(
                np.unique(np.stack((t[kept], np.full(kept.sum(), code), staff[kept]), 1), axis=0)
            )
        cards = np.stack((t, person[mine], shows_id[mine].astype(np.int64)), 1)
        self._cards.append(np.unique(cards, axis=0))

    def freeze(self) -> None:
        staff = np.concatenate(self._staff) if self._staff else np.zeros((0, 3), np.int64)
        cards = np.concatenate(self._cards) if self._cards else np.zeros((0, 3), np.int64)
        self.staff = {tuple(r) for r in staff.tolist()}
        self.cards: dict[tuple[int, int], set[int]] = {}
        for t, p, shows in cards.tolist():
            self.cards.setdefault((t, p), set()).add(shows)

    def shows(self, tag: int, kind: str, index: int) -> bool:
        """Whether a member other than a card appears where a detector can see it."""
        if kind in ("doctor", "operator"):
            return (tag, 0 if kind == "doctor" else 1, index) in self.staff
        if kind == "person":
            return bool(self.by_card[index] or self.by_id[index])
        return True  # providers: every group's claims name them

    def cards_of(self, tag: int, person: int, people: Population) -> list[str]:
        shown = self.cards.get((tag, person))
        if shown is None:  # no claim of the group: the card the person's own claims carry
            shown = {0} if self.by_card[person] else {1} if self.by_id[person] else set()
        return [str(people.person_id[person] if s else people.card_id[person]) for s in shown]


class PersonPool:
    """Hands out people at random, each at most once, among those meeting a condition."""

    def __init__(self, people: Population, rng: np.random.Generator) -> None:
        self._order = rng.permutation(people.n)
        self._used = np.zeros(people.n, dtype=bool)

    def take(self, k: int, eligible: np.ndarray) -> np.ndarray:
        """The first ``k`` eligible unused people in the pool's random order. The order is
        scanned in doubling windows, so common conditions cost little in a big city."""
        found: list[np.ndarray] = []
        need, start, size = k, 0, 4096
        while need > 0 and start < len(self._order):
            window = self._order[start : start + size]
            hits = window[eligible[window] & ~self._used[window]][:need]
            found.append(hits)
            need -= len(hits)
            start, size = start + size, size * 2
        chosen = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        self._used[chosen] = True
        return chosen

    @property
    def unused(self) -> np.ndarray:
        """Mask of people not yet in a ring or group (shared groups stay disjoint)."""
        return ~self._used

    def free(self, persons: np.ndarray) -> bool:
        return not self._used[persons].any()

    def mark(self, persons: np.ndarray) -> None:
        self._used[persons] = True
