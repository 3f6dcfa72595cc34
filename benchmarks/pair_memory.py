"""Peak memory of card lending's pair counting (``venue_pairs``) on one counter, to check
the budget's PAIR_BYTES: a year of ``--days`` days with one burst of ``--cards`` cards a
day drawn from ``--pool`` cards, ``--min-together`` as the search uses (3 for repeat
cards, 2 for strangers; 1 keeps every pair met: the worst case).

    .venv/bin/python -m benchmarks.pair_memory                       # 50 M city's busiest
    .venv/bin/python -m benchmarks.pair_memory --min-together 1 --pool 300
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from graphscan.detect.engines.cooccurrence import venue_pairs


def counter(days: int, cards: int, pool: int, seed: int = 1) -> pd.DataFrame:
    """One counter's members: each day one burst of ``cards`` distinct cards."""
    rng = np.random.default_rng(seed)
    drawn = np.concatenate([rng.choice(pool, cards, replace=False) for _ in range(days)])
    members = pd.DataFrame(
        {
            "venue": "P/o",
            "context": np.repeat(np.arange(days), cards).astype(str),
            "entity": pd.Series(drawn).map("c{}".format),
        }
    )
    members["n_entity"] = members.groupby("entity")["context"].transform("size")
    return members


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--cards", type=int, default=89)
    parser.add_argument("--pool", type=int, default=3000)
    parser.add_argument("--min-together", type=int, default=3)
    args = parser.parse_args()
    members = counter(args.days, args.cards, args.pool)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    pairs = venue_pairs(members, min_together=args.min_together)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    meetings = args.days * args.cards * (args.cards - 1) // 2
    print(
        f"pair meetings {meetings:,}; pairs kept {len(pairs):,}; "
        f"{time.perf_counter() - start:.1f} s; peak grew {grown / 1e6:.0f} MB, "
        f"{grown / meetings:.1f} B per meeting"
    )


if __name__ == "__main__":
    main()
