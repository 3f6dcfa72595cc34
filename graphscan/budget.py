"""The memory budget of a scan: parsed from ``--memory``, given to the engine (which then
spills to disk), and checked against an estimate from the store's counts before the scan
starts, so a scan that cannot fit says so instead of being killed half-way."""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any

import pandas as pd

from graphscan.errors import InputError
from graphscan.i18n import t

_UNITS = {"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}

#: a scan's resident bytes are the engine's (DuckDB, held to its own limit: it spills past
#: it, and card lending's burst reads go range by range of pharmacies to stay inside it)
#: beside the frames the detectors hold: FIXED + FRAME_BYTES x claims, the frames of the
#: detector holding most; fitted on the 10 M-claim realistic city, whose stages outside the
#: engine's reads peaked at 2.84 GB (docs/scale.md)
FIXED = 0.36e9
FRAME_BYTES = 250.0

#: bytes card lending's pair counting holds per pair meeting of the counter it is on (one
#: counter at a time: the sparse product, its upper triangle and the pairs kept);
#: benchmarks/pair_memory.py, the worst case (every pair met kept): 91 B at the 50 M
#: city's busiest counter (1.43 M meetings, 130 MB), 95 B at 8.9 M meetings (842 MB);
#: 44 B when pairs must meet three times, as the repeat cards' search asks
PAIR_BYTES = 100.0

#: the engine's share of the budget when the frames leave room for it; it gets what they
#: leave when that is less, and at least MIN_ENGINE_SHARE of the budget, or the scan is
#: refused (below that every read would spill most of its work)
ENGINE_SHARE = 0.5
MIN_ENGINE_SHARE = 0.15


class BudgetError(InputError):
    """A budget that cannot be read, or a scan that would not fit it: the user's choice to
    change (a period or more memory), said in one line."""


def parse_size(text: str) -> int:
    """``8GB``, ``512MiB`` or plain bytes as a number of bytes."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B?)\s*", text.upper())
    if not found or found.group(2) not in _UNITS:
        raise BudgetError(
            t(
                "无法识别的内存预算 {v}：请写成 8GB 或 512MB",
                "unreadable memory budget {v}: write it as 8GB or 512MB",
                v=text,
            )
        )
    return int(float(found.group(1)) * _UNITS[found.group(2)])


def machine_default() -> int:
    """Three quarters of the machine's memory: room for the system and a second job."""
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.75)


def frames(counts: dict[str, int], busiest_pairs: int = 0) -> int:
    """Expected peak bytes outside the engine of a scan of ``counts`` claims whose busiest
    pharmacy counter can make ``busiest_pairs`` card pair meetings (the ``counter_traffic``
    projection): the frames grow with the claims, the pair counting with the busiest
    counter alone, since it holds one counter's pairs at a time."""
    return int(FIXED + FRAME_BYTES * counts["claims"] + PAIR_BYTES * busiest_pairs)


def busiest_pairs(traffic: pd.DataFrame) -> int:
    """The bound on pair meetings of the busiest counter in ``counter_traffic``."""
    return int(traffic["pair_bound"].max()) if len(traffic) else 0


def window_counts(
    status: dict[str, Any], since: datetime | None, until: datetime | None
) -> dict[str, int]:
    """The store's counts, scaled to the share of its time range the window covers."""
    counts = dict(status["counts"])
    first, last = status["first_claim"], status["last_claim"]
    if first is None or last is None or last <= first or (since is None and until is None):
        return counts
    start, end = max(since or first, first), min(until or last, last)
    share = max((end - start) / (last - first), 0.0)
    return {name: int(n * share) for name, n in counts.items()}


def check(counts: dict[str, int], budget: int, traffic: pd.DataFrame | None = None) -> int:
    """The engine's share of ``budget`` for a scan of ``counts`` claims (``traffic``: the
    ``counter_traffic`` projection when card lending is scanned); refuses, before anything
    runs, a scan whose frames leave the engine less than MIN_ENGINE_SHARE of it."""
    pairs = busiest_pairs(traffic) if traffic is not None else 0
    held = frames(counts, pairs)
    room = budget * (1 - MIN_ENGINE_SHARE)
    if held > room and frames(counts) <= room:
        top = traffic.iloc[0]
        raise BudgetError(
            t(
                "药店柜台 {p}… 最忙：其连续刷卡最多可组成 {n:,} 次卡对同现，计数约需 "
                "{pairs:.1f} GB 内存，扫描共需约 {need:.1f} GB（不含数据库引擎），超出预算 "
                "{b:.1f} GB 的 {share:.0%}：请用 --since/--until 分段扫描、调低 "
                "max_burst_cards 或提高 --memory",
                "the busiest pharmacy counter {p}… can make {n:,} card pair meetings in its "
                "bursts: counting them needs about {pairs:.1f} GB, the scan about {need:.1f} "
                "GB beside the engine, over {share:.0%} of the budget of {b:.1f} GB: scan by "
                "period (--since/--until), lower max_burst_cards or raise --memory",
                p=str(top["provider_id"])[:6],
                n=pairs,
                pairs=PAIR_BYTES * pairs / 1e9,
                need=held / 1e9,
                share=1 - MIN_ENGINE_SHARE,
                b=budget / 1e9,
            )
        )
    if held > room:
        raise BudgetError(
            t(
                "扫描 {n:,} 条结算预计需要约 {need:.1f} GB 内存（不含数据库引擎），超出预算 "
                "{b:.1f} GB 的 {share:.0%}：请用 --since/--until 分段扫描，或提高 --memory",
                "scanning {n:,} claim lines needs about {need:.1f} GB beside the engine, over "
                "{share:.0%} of the budget of {b:.1f} GB: scan by period (--since/--until) "
                "or raise --memory",
                n=counts["claims"],
                need=held / 1e9,
                share=1 - MIN_ENGINE_SHARE,
                b=budget / 1e9,
            )
        )
    return int(min(ENGINE_SHARE * budget, budget - held))
