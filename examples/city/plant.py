"""Plant every ring and hard-negative group before the background is streamed."""

from __future__ import annotations

import numpy as np

from graphscan.examples.city import fraud, negatives
from graphscan.examples.city.batch import ClaimBatch
from graphscan.examples.city.population import Population
from graphscan.examples.city.scenario import Scenario
from graphscan.examples.city.truth import PersonPool, Truth
from graphscan.examples.city.world import World


def plant(
    world: World, people: Population, scenario: Scenario, rng: np.random.Generator
) -> tuple[ClaimBatch, Truth]:
    """All fraud and hard-negative claims (background is generated later, block by
    block). Some negatives only change habits (a doctor's panel at the pharmacy next
    door), so this runs before any claim is written."""
    truth = Truth()
    pool = PersonPool(people, rng)
    batches = [
        *fraud.plant_rings(world, people, scenario, pool, truth, rng),
        *negatives.plant_negatives(world, people, scenario, pool, truth, rng),
    ]
    return ClaimBatch.concat(batches), truth
