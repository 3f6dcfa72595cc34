"""What kind of city to build: every structural choice of the generator in one record.

A real extract differs from the next one in ways no detector may rely on: ring sizes,
how often members take part, whether rings sit at hubs, which optional columns each kind
of claim carries, how card numbers relate to ID numbers, which tables were exported, how
busy the busiest pharmacies are. ``Scenario.reference`` is the fixed city graphscan was
first developed on (one recipe per pattern, every column everywhere); ``Scenario.draw``
draws every choice from wide ranges, so that a detector measured over many draws cannot
pass by matching one generator's habits. The drawn scenario is written to
``scenario.json`` beside the city, so every figure can be traced to its draw.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

#: the two structurally different ways each pattern is planted (see the package docstring)
RECIPES = {
    "card_lending": ("stack", "broker"),
    "kickback": ("prescription", "steering"),
    "group_hospitalisation": ("waves", "unindicated"),
    "identity_misuse": ("cashier", "far_cards"),
}
#: optional columns of claims and optional tables that a scenario (or an ablation) omits
OPTIONAL_COLUMNS = ("operator_id", "doctor_id", "card_id", "diagnosis_code")
OPTIONAL_TABLES = ("claim_items", "persons", "providers", "doctors")
ABLATIONS = OPTIONAL_COLUMNS + OPTIONAL_TABLES
#: how card_id relates to person_id: a distinct card number; equal to the ID number; a
#: card number, but empty where the ID card itself was presented at a hospital
CARD_MODES = ("distinct", "equal", "distinct_or_id")
#: operator recorded on every claim, or only on pharmacy swipes (real settlement systems)
OPERATOR_MODES = ("all", "pharmacy")
#: legitimate crowds the reference city lacks (the reference ones are always planted)
NEW_CROWDS = ("cataract_campaign", "mutual_aid", "special_refill")

Range = tuple[int, int]  # [low, high) as numpy's integers() takes it


@dataclass(frozen=True)
class Scenario:
    """One city's structural choices; integer ranges are [low, high)."""

    seed: int | None  # None: the reference city
    difficulty: str
    #: rings per pattern per 10,000 persons, and the fewest per pattern in any city
    ring_density: float
    min_rings: int
    #: share of each pattern's rings planted with its second recipe
    second_recipe: dict[str, float]
    #: chance that a ring sits at a hub (the busiest providers of its kind)
    hub: float
    # card lending, recipe "stack": one operator swipes a kept stack again and again
    stack_cards: Range
    stack_days: Range
    stack_presence: float
    stack_gap_s: Range
    stack_shuffled: bool
    stack_goods: bool
    stack_roaming: float  # share of stacks carried to two more pharmacies
    stack_extra_outlet: float  # share swiped at one more pharmacy
    stack_twice_at_once: float
    # card lending, recipe "broker": few big bursts, members seen once or twice
    broker_cards: Range
    broker_pharmacies: Range
    broker_share: tuple[float, float]  # ring swipes as a share of each member's claims
    broker_sessions: Range
    # kickback
    kickback_doctors: Range
    kickback_patients: Range
    kickback_visits: Range
    kickback_far: str  # "county": pharmacy in another county; "town": another town
    # group hospitalisation
    group_recruits: Range
    group_waves: Range
    group_join: float
    group_window_days: int
    group_los_jitter: int
    group_cost_spread: float
    group_phone_link: float
    group_admissions: Range  # recipe "unindicated": stays per recruit
    # identity misuse
    misuse_cards: Range
    misuse_impossible: float  # recipe "far_cards": share of stays impossible for sex/age
    # legitimate crowds the reference city lacks: groups per 10,000 persons
    crowds: dict[str, float]
    # which optional columns each kind of claim carries
    operator_on: str
    doctor_on_pharmacy: float  # share of prescription fills that keep the doctor_id
    diagnosis_on_pharmacy: bool
    card_ids: str
    id_card_share: float  # hospital claims settled on the ID card (card_id empty)
    tables: tuple[str, ...]  # optional tables written
    #: ablation: optional columns and tables left out entirely
    drop: tuple[str, ...] = ()
    # traffic
    pharmacy_sigma: float = 0.8  # log-normal spread of pharmacy sizes (heavy tail)
    flagship_share: float = 0.0  # people whose second pharmacy is a city-centre flagship
    operator_shifts: bool = False  # counter staff work morning and evening shifts

    @staticmethod
    def reference(difficulty: str = "easy") -> Scenario:
        """The fixed city: every claim carries every column, one recipe per pattern."""
        hard = difficulty == "hard"
        return Scenario(
            seed=None,
            difficulty=difficulty,
            ring_density=(10_000 / 6_000) if hard else (10_000 / 4_000),
            min_rings=2 if hard else 3,
            second_recipe=dict.fromkeys(RECIPES, 0.0),
            hub=1.0 if hard else 0.0,
            stack_cards=(5, 13) if hard else (12, 41),
            stack_days=(10, 21) if hard else (20, 41),
            stack_presence=0.7 if hard else 0.85,
            stack_gap_s=(120, 600) if hard else (45, 200),
            stack_shuffled=hard,
            stack_goods=not hard,
            stack_roaming=0.25,
            stack_extra_outlet=0.0 if hard else 0.4,
            stack_twice_at_once=0.03 if hard else 0.08,
            broker_cards=(10, 61),
            broker_pharmacies=(1, 4),
            broker_share=(0.05, 0.15),
            broker_sessions=(2, 6),
            kickback_doctors=(1, 2) if hard else (2, 3),
            kickback_patients=(4, 9) if hard else (8, 26),
            kickback_visits=(5, 10) if hard else (8, 15),
            kickback_far="town" if hard else "county",
            group_recruits=(6, 16) if hard else (15, 51),
            group_waves=(2, 5) if hard else (4, 7),
            group_join=0.7 if hard else 0.85,
            group_window_days=6 if hard else 3,
            group_los_jitter=2 if hard else 1,
            group_cost_spread=0.08 if hard else 0.03,
            group_phone_link=0.3 if hard else 0.5,
            group_admissions=(2, 5),
            misuse_cards=(3, 6) if hard else (5, 13),
            misuse_impossible=0.3,
            crowds=dict.fromkeys(NEW_CROWDS, 0.0),
            operator_on="all",
            doctor_on_pharmacy=1.0,
            diagnosis_on_pharmacy=True,
            card_ids="distinct",
            id_card_share=0.0,
            tables=OPTIONAL_TABLES,
        )

    @staticmethod
    def draw(seed: int, difficulty: str = "hard") -> Scenario:
        """Every structural choice drawn from wide ranges. ``difficulty`` moves the
        ranges (hard: smaller rings, more of them at hubs, sparser activity) but every
        draw of either difficulty is a believable city."""
        rng = np.random.default_rng([seed, 99])
        hard = difficulty == "hard"

        def span(low: int, high: int, min_width: int = 1) -> Range:
            """A random sub-range of [low, high] at least ``min_width`` wide."""
            a = int(rng.integers(low, high - min_width + 1))
            b = int(rng.integers(a + min_width, high + 1))
            return a, b + 1

        def between(low: float, high: float) -> float:
            return round(float(rng.uniform(low, high)), 3)

        small = 0 if hard else 1  # easy draws start their size ranges higher
        tables = tuple(t for t in OPTIONAL_TABLES if rng.random() < 0.75)
        card_ids = str(rng.choice(CARD_MODES, p=[0.4, 0.25, 0.35]))
        lo_share = between(0.05, 0.10)
        return Scenario(
            seed=seed,
            difficulty=difficulty,
            ring_density=between(2.0, 5.0),
            min_rings=3,
            second_recipe={p: between(0.3, 0.7) for p in RECIPES},
            hub=between(0.4, 0.9) if hard else between(0.0, 0.5),
            stack_cards=span(5 + 5 * small, 30 + 10 * small, 4),
            stack_days=span(6 + 6 * small, 30 + 10 * small, 4),
            stack_presence=between(0.5, 0.8) if hard else between(0.7, 0.9),
            stack_gap_s=span(40, 600, 60),
            stack_shuffled=bool(rng.random() < (0.7 if hard else 0.3)),
            stack_goods=bool(rng.random() < 0.5),
            stack_roaming=between(0.0, 0.4),
            stack_extra_outlet=between(0.0, 0.4),
            stack_twice_at_once=between(0.0, 0.08),
            broker_cards=span(10, 60, 10),
            broker_pharmacies=span(1, 3, 0),
            broker_share=(lo_share, between(lo_share + 0.02, 0.15)),
            broker_sessions=span(2, 6, 1),
            kickback_doctors=span(1, 3, 0),
            kickback_patients=span(4 + 6 * small, 30 + 10 * small, 4),
            kickback_visits=span(1 + 3 * small, 12, 3),
            kickback_far=str(rng.choice(["county", "town"], p=[0.6, 0.4])),
            group_recruits=span(6 + 6 * small, 40 + 10 * small, 5),
            group_waves=span(2, 6, 1),
            group_join=between(0.55, 0.9),
            group_window_days=int(rng.integers(2, 8)),
            group_los_jitter=int(rng.integers(1, 3)),
            group_cost_spread=between(0.02, 0.10),
            group_phone_link=between(0.0, 0.5),
            group_admissions=span(2, 4, 1),
            misuse_cards=span(3 + 2 * small, 12, 3),
            misuse_impossible=between(0.2, 0.6),
            crowds={k: between(0.5, 2.0) for k in NEW_CROWDS},
            operator_on=str(rng.choice(OPERATOR_MODES, p=[0.3, 0.7])),
            doctor_on_pharmacy=between(0.4, 1.0),
            diagnosis_on_pharmacy=bool(rng.random() < 0.4),
            card_ids=card_ids,
            id_card_share=between(0.1, 0.5) if card_ids == "distinct_or_id" else 0.0,
            tables=tables,
            pharmacy_sigma=between(0.8, 1.6),
            flagship_share=between(0.0, 0.3),
            operator_shifts=True,
        )

    def ablate(self, what: str) -> Scenario:
        """The same city with one optional column or table left out."""
        if what not in ABLATIONS:
            raise ValueError(f"ablation must be one of {', '.join(ABLATIONS)}")
        return replace(self, drop=tuple(sorted({*self.drop, what})))

    def has_column(self, column: str) -> bool:
        return column not in self.drop

    def writes_table(self, table: str) -> bool:
        return table in self.tables and table not in self.drop

    def rings_per_pattern(self, persons: int) -> int:
        return max(self.min_rings, int(persons * self.ring_density / 10_000 + 1e-9))

    def crowd_count(self, kind: str, persons: int) -> int:
        rate = self.crowds.get(kind, 0.0)
        return 0 if rate <= 0 else max(1, round(persons * rate / 10_000))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, out: Path, persons: int, seed: int) -> None:
        """``scenario.json``: the city's size and seed and every drawn choice."""
        record = {"persons": persons, "seed": seed, "scenario": self.to_dict()}
        text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True)
        (out / "scenario.json").write_text(text + "\n", encoding="utf-8")

    @staticmethod
    def read(path: Path) -> Scenario:
        """A scenario back from its ``scenario.json`` (to regenerate a city exactly)."""
        data = json.loads(path.read_text(encoding="utf-8"))["scenario"]
        known = {f.name: f for f in fields(Scenario)}
        unknown = set(data) - set(known)
        if unknown:
            raise ValueError(f"{path}: unknown scenario fields {', '.join(sorted(unknown))}")
        lists = {k: tuple(v) for k, v in data.items() if isinstance(v, list)}
        return Scenario(**(data | lists))
