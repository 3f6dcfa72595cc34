"""`graphscan scan --memory`: the engine is held to the budget (spilling into the
workspace), and a scan whose estimate is over the budget is refused before it starts."""

from __future__ import annotations

from pathlib import Path

import duckdb
import handmade_city as city
import pandas as pd
import pytest
from click.testing import CliRunner
from embedded_store import embedded_store

from graphscan import budget
from graphscan.casebook import CaseBook
from graphscan.cli.main import cli
from graphscan.detect import detectors, scan
from graphscan.detect.base import Window
from graphscan.errors import StoreError
from graphscan.sql import read_sql
from graphscan.store import embedded
from graphscan.store.embedded import EmbeddedStore
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
    assert "of the budget of 0.0 GB: scan by period" in out.output
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
    meetings (0.18 GB), spread over 100 counters 1 a day none; 0.45 GB holds the quiet
    city and not the busy one, which the claim count alone cannot tell apart."""
    busy = _pharmacy_year(tmp_path / "busy", counters=1, per_day=100, days=365)
    quiet = _pharmacy_year(tmp_path / "quiet", counters=100, per_day=1, days=365)
    counts = {"claims": 36_500}
    budget.check(counts, budget.parse_size("0.45GB"), _traffic(quiet))
    with pytest.raises(budget.BudgetError, match="busiest pharmacy counter P0"):
        budget.check(counts, budget.parse_size("0.45GB"), _traffic(busy))
    out = CliRunner().invoke(cli, ["--lang", "en", "scan", "-w", str(busy), "--memory", "0.45GB"])
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


def _burst_reads(store: EmbeddedStore) -> dict[str, pd.DataFrame]:
    window = Window().params()
    lending = detectors(["card_lending"])[0]
    return {
        "card_bursts": lending.read(store, Window())["card_bursts"],
        "card_burst_sizes": store.projection(
            "card_burst_sizes", **window, gap_minutes=10, stranger_bursts=2
        ),
        "card_roaming": store.projection(
            "card_roaming", **window, gap_minutes=10, min_bursts=2, region_digits=6
        ),
    }


def test_the_burst_reads_in_pharmacy_ranges_are_the_reads_in_one_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a budget too small for the city at once, card lending's per-pharmacy reads go
    range by range of pharmacies: the frames are those of one read (values, order and
    dtypes), and the scan finds the same rings with the same members and scores."""
    ws = Workspace.open(_workspace(tmp_path / "ws"))
    store = embedded_store(ws)
    try:
        whole = _burst_reads(store)
        rings = scan(store)
        # the handmade city's three pharmacies swipe 3,660, 550 and 48 times: a budget
        # for 500 swipes at once reads each of them alone
        monkeypatch.setattr(embedded.PER_PHARMACY, "row_bytes", 64 * 2**20 // 500)
        store.limit_memory(64 * 2**20)
        assert store.ranges("card_bursts", None, None) == [("P1", "P1"), ("P2", "P2"), ("P3", "P3")]
        for name, frame in _burst_reads(store).items():
            pd.testing.assert_frame_equal(frame, whole[name], obj=name)
        again = scan(store)
        assert [(r.pattern, r.score, sorted(m.id for m in r.members)) for r in again] == [
            (r.pattern, r.score, sorted(m.id for m in r.members)) for r in rings
        ]
    finally:
        ws.close()


def test_a_busy_year_read_whole_overflows_a_spill_cap_that_ranges_stay_under(
    tmp_path: Path,
) -> None:
    """The spill of a per-pharmacy read is bounded by its range of pharmacies, not by the
    city: 216,000 swipes at 40 pharmacies overflow 64 MiB and a 1 MB spill cap read
    whole, and are all read range by range (about 21,000 swipes each)."""
    ws = Workspace.open(_pharmacy_year(tmp_path / "ws", counters=40, per_day=60, days=90))
    store = embedded_store(ws)
    store.limit_memory(64 * 2**20, spill_cap=2**20)
    params = {
        "since": None,
        "until": None,
        "gap_minutes": 10,
        "max_burst_cards": 100,
        "min_bursts": 1,
        "min_strangers": 1,
        "stranger_bursts": 2,
    }
    try:
        with pytest.raises(duckdb.OutOfMemoryException):
            store.db.execute(
                read_sql("card_bursts"), {**params, "first_provider": None, "last_provider": None}
            ).df()
        assert len(store.ranges("card_bursts", None, None)) == 10
        assert len(store.projection("card_bursts", **params)) == 216_000
    finally:
        ws.close()


def test_the_engine_gets_what_the_frames_leave_and_the_claims_are_blamed_for_theirs() -> None:
    """A small city's engine gets half the budget; 50 M claims' frames (12.9 GB) leave a
    16 GB budget's engine 3.1 GB; at 12 GB they are what is over, not the busiest counter's
    1.4 M pair meetings (0.14 GB)."""
    assert budget.check({"claims": 1000}, budget.parse_size("8GB")) == 4 * 10**9
    year = {"claims": 50_000_000}
    assert budget.check(year, budget.parse_size("16GB")) == 16 * 10**9 - budget.frames(year)
    traffic = pd.DataFrame({"provider_id": ["P33077"], "pair_bound": [1_442_005]})
    with pytest.raises(budget.BudgetError, match=r"^scanning 50,000,000 claim lines"):
        budget.check(year, budget.parse_size("12GB"), traffic)
