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
    """A ring (kind = pattern) or a hard-negative group (kind = family, ...)."""

    group_id: str
    kind: str
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

    def new_ring(self, pattern: str) -> tuple[int, Group]:
        ring = Group(f"R{len(self.rings) + 1:04d}", pattern)
        self.rings.append(ring)
        return len(self.rings) - 1, ring

    def new_negative(self, kind: str) -> Group:
        group = Group(f"N{len(self.negatives) + 1:04d}", kind)
        self.negatives.append(group)
        return group

    def write(
        self,
        out: Path,
        people: Population,
        world: World,
        fraud_ids: np.ndarray,
        fraud_rings: np.ndarray,
    ) -> None:
        """rings.csv, fraud_claims.csv and hard_negatives.csv (always CSV: small, and read
        by people as much as by the scorer)."""
        ids = {
            "person": people.person_id,
            "card": people.card_id,
            "doctor": world.doctor_id,
            "provider": world.provider_id,
            "operator": world.operator_id,
        }

        def rows(group: Group) -> list[tuple[str, str]]:
            out_rows = {(kind, str(ids[_ENTITY[kind]][i])) for kind, i in group.members}
            return sorted(out_rows)

        with open(out / "rings.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["ring_id", "pattern", "member_kind", "member_id"])
            for ring in self.rings:
                w.writerows([ring.group_id, ring.kind, k, m] for k, m in rows(ring))
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
