"""`graphscan scan --memory`: the engine is held to the budget (spilling into the
workspace), and a scan whose estimate is over the budget is refused before it starts."""

from __future__ import annotations

from pathlib import Path

import handmade_city as city
import pandas as pd
import pytest
from click.testing import CliRunner
from embedded_store import embedded_store

from graphscan import budget
from graphscan.casebook import CaseBook
from graphscan.cli.main import cli
from graphscan.errors import StoreError
from graphscan.workspace import Workspace


def _workspace(path: Path) -> Path:
    ws = Workspace.open(path)
    store = embedded_store(ws)
    for table, frame in city.build().items():
        store.upsert(table, frame)
    ws.close()
    return path


def test_sizes_are_read_in_decimal_and_binary_units() -> None:
    assert budget.parse_size("8GB") == 8 * 10**9
    assert budget.parse_size("512MiB") == 512 * 2**20
    assert budget.parse_size(" 1.5 gb ") == 1_500_000_000
    assert budget.parse_size("4096") == 4096
    with pytest.raises(budget.BudgetError, match="8GB or 512MB"):
        budget.parse_size("lots")


def test_the_engine_spills_into_the_workspace(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    store.limit_memory(200 * 2**20)
    limit, spill = store.db.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchall()[0]
    assert limit == "200.0 MiB"
    assert Path(spill) == ws.root / "spill"
    # a sort twice the budget finishes by spilling instead of failing
    store.limit_memory(50 * 2**20)
    top = store.db.execute(
        "SELECT max(x) FROM (SELECT hash(i)::VARCHAR || 'padding' AS x FROM range(3000000) t(i) "
        "ORDER BY x)"
    ).fetchall()[0][0]
    assert top is not None
    ws.close()


def test_a_scan_over_budget_is_refused_before_it_starts(tmp_path: Path) -> None:
    ws_dir = _workspace(tmp_path / "ws")
    out = CliRunner().invoke(cli, ["--lang", "en", "scan", "-w", str(ws_dir), "--memory", "1MB"])
    assert out.exit_code == 1, out.output
    assert "over the budget of 0.0 GB: scan by period" in out.output
    assert "Traceback" not in out.output
    assert CaseBook(Workspace.open(ws_dir)).list().empty  # nothing ran, nothing recorded


def test_a_scan_within_budget_runs(tmp_path: Path) -> None:
    ws_dir = _workspace(tmp_path / "ws")
    out = CliRunner().invoke(cli, ["--lang", "en", "scan", "-w", str(ws_dir), "--memory", "4GB"])
    assert out.exit_code == 0, out.output
    assert "rings found" in out.output


def test_a_window_is_estimated_on_its_share_of_the_claims() -> None:
    from datetime import datetime

    status = {
        "counts": {"claims": 1000, "claim_items": 3000},
        "first_claim": datetime(2025, 1, 1),
        "last_claim": datetime(2025, 12, 31),
    }
    half = budget.window_counts(status, datetime(2025, 7, 2), None)
    assert 480 <= half["claims"] <= 520
    assert budget.window_counts(status, None, None)["claims"] == 1000


def _pharmacy_year(path: Path, counters: int, per_day: int, days: int) -> Path:
    """A year of pharmacy swipes: ``counters`` counters with ``per_day`` swipes a day."""
    n = counters * per_day * days
    i = pd.RangeIndex(n)
    frame = pd.DataFrame(
        {
            "claim_id": "c" + i.astype(str),
            "kind": "pharmacy",
            "person_id": "p" + (i % 5000).astype(str),
            "provider_id": "P" + (i % counters).astype(str),
            "operator_id": "o1",
            "start_time": pd.Timestamp("2025-01-01 08:00")
            + pd.to_timedelta((i // counters) // per_day, unit="D")
            + pd.to_timedelta((i // counters) % per_day, unit="s"),
            "total_amount": 10,
        }
    )
    ws = Workspace.open(path)
    embedded_store(ws).upsert("claims", frame)
    ws.close()
    return path


def _traffic(ws_dir: Path) -> pd.DataFrame:
    ws = Workspace.open(ws_dir)
    try:
        return embedded_store(ws).projection(
            "counter_traffic", since=None, until=None, max_burst_cards=100
        )
    finally:
        ws.close()


def test_the_busiest_counter_bounds_the_pairs_of_its_days(tmp_path: Path) -> None:
    traffic = _traffic(_pharmacy_year(tmp_path / "ws", counters=2, per_day=150, days=3))
    # a day of 150 swipes in bursts of at most 100 cards: 150 x 99 / 2 pair meetings
    assert traffic["pair_bound"].tolist() == [3 * 150 * 99 // 2] * 2
    assert traffic["busiest_day"].tolist() == [150, 150]
    assert budget.busiest_pairs(traffic) == 22_275


def test_a_busy_counter_is_refused_where_quiet_ones_with_as_many_claims_fit(
    tmp_path: Path,
) -> None:
    """36,500 claims: at one counter swiping 100 cards a day they can make 1.8 M pair
    meetings (43 MB), spread over 100 counters 1 a day none; 0.4 GB holds the quiet
    city and not the busy one, which the claim count alone cannot tell apart."""
    busy = _pharmacy_year(tmp_path / "busy", counters=1, per_day=100, days=365)
    quiet = _pharmacy_year(tmp_path / "quiet", counters=100, per_day=1, days=365)
    counts = {"claims": 36_500}
    budget.check(counts, budget.parse_size("0.4GB"), _traffic(quiet))
    with pytest.raises(budget.BudgetError, match="busiest pharmacy counter P0"):
        budget.check(counts, budget.parse_size("0.4GB"), _traffic(busy))
    out = CliRunner().invoke(cli, ["--lang", "en", "scan", "-w", str(busy), "--memory", "0.4GB"])
    assert out.exit_code == 1, out.output
    assert "1,806,750 card pair meetings" in out.output
    assert "Traceback" not in out.output
    assert CaseBook(Workspace.open(busy)).list().empty  # refused before anything ran


def test_a_read_out_of_memory_and_spill_space_says_what_to_change(tmp_path: Path) -> None:
    """At a prefecture's volume a read can fill the spill disk: one line, no traceback."""
    ws = Workspace.open(_pharmacy_year(tmp_path / "ws", counters=2, per_day=2000, days=60))
    store = embedded_store(ws)
    store.limit_memory(4 * 2**20)
    store.db.execute("SET max_temp_directory_size = '1MB'")
    try:
        with pytest.raises(StoreError, match=r"^card_bursts: out of memory and spill space .*"):
            store.projection(
                "card_bursts",
                since=None,
                until=None,
                gap_minutes=10,
                max_burst_cards=100,
                min_bursts=1,
                min_strangers=1,
                stranger_bursts=2,
            )
    finally:
        ws.close()
