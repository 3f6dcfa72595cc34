"""Which optional columns each kind of claim carries, as the scenario says: real
settlement systems record the counter operator on pharmacy swipes only, the doctor on
hospital claims and external prescriptions, often no diagnosis at the pharmacy, and a
card number that may be the ID number or be empty where the ID card was presented.
Counter staff also work shifts, so who swipes depends on the day and the hour."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphscan.examples.city.batch import PHARMACY_KIND, ClaimBatch
from graphscan.examples.city.sampling import DAY, YEAR_START
from graphscan.examples.city.scenario import Scenario
from graphscan.examples.city.world import World

#: the morning crew hands over to the evening crew at 14:30
SHIFT_CHANGE = 14 * 3600 + 1800


@dataclass
class Written:
    """The optional ids a block's claims carry as written (-1 / "" / True where not)."""

    doctor: np.ndarray
    operator: np.ndarray
    diagnosis: np.ndarray
    #: the claim's card value is the ID number (card_id equal to person_id, empty or dropped)
    shows_id: np.ndarray


def shift_operators(world: World, batch: ClaimBatch) -> np.ndarray:
    """Ordinary pharmacy swipes go to whoever is on shift: half of a pharmacy's counter
    staff work the morning, the other half the evening, rotating day by day. Planted
    groups keep the operator they were planted with."""
    operator = batch.operator.copy()
    mine = np.flatnonzero((batch.tag == -1) & (batch.operator >= 0) & (batch.kind == PHARMACY_KIND))
    provider = batch.provider[mine]
    count = world.operator_count[provider]
    first = world.operator_first[provider]
    crew = np.maximum(1, count // 2)
    start = batch.start[mine]
    day = (start - YEAR_START) // DAY
    evening = (start - YEAR_START) % DAY >= SHIFT_CHANGE
    on_duty = (day + evening * crew) % count
    # the senior cashier of a crew takes most swipes: crew member floor(crew * u^2), with
    # u a fixed hash of the swipe time (no random draw: the other columns keep their bytes)
    u = (start * 2_654_435_761 % 2**32) / 2**32
    member = np.minimum((crew * u**2).astype(np.int64), crew - 1)
    operator[mine] = first + (on_duty + member) % count
    return operator


def written(world: World, batch: ClaimBatch, s: Scenario, rng: np.random.Generator) -> Written:
    pharmacy = batch.kind == PHARMACY_KIND
    operator = shift_operators(world, batch) if s.operator_shifts else batch.operator
    if s.operator_on == "pharmacy":
        operator = np.where(pharmacy, operator, -1)
    doctor = batch.doctor
    if s.doctor_on_pharmacy < 1.0:
        dropped = pharmacy & (rng.random(len(batch)) >= s.doctor_on_pharmacy)
        doctor = np.where(dropped, -1, doctor)
    diagnosis = batch.diagnosis
    if not s.diagnosis_on_pharmacy:
        diagnosis = np.where(pharmacy, "", diagnosis)
    if s.card_ids == "equal" or not s.has_column("card_id"):
        shows_id = np.ones(len(batch), dtype=bool)
    elif s.card_ids == "distinct_or_id":
        shows_id = ~pharmacy & (rng.random(len(batch)) < s.id_card_share)
    else:
        shows_id = np.zeros(len(batch), dtype=bool)
    if not s.has_column("operator_id"):
        operator = np.full(len(batch), -1)
    if not s.has_column("doctor_id"):
        doctor = np.full(len(batch), -1)
    if not s.has_column("diagnosis_code"):
        diagnosis = np.full(len(batch), "")
    return Written(doctor=doctor, operator=operator, diagnosis=diagnosis, shows_id=shows_id)
