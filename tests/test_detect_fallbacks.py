"""Every optional column and table may be missing: the scan still runs, falls back, and
says which signal each detector lost (on the scan report and on every case's method)."""

from __future__ import annotations

from pathlib import Path

import handmade_city as city
import pandas as pd
import pytest
from embedded_store import embedded_store

from graphscan.detect import ScanReport, scan
from graphscan.workspace import Workspace

#: what is left out -> (pattern, signal it must report lost)
ABLATIONS = {
    "operator_id": ("card_lending", "operator_id"),
    "card_id": ("card_lending", "card_id"),
    "doctor_id": ("kickback", "doctor_id"),
    "diagnosis_code": ("identity_misuse", "diagnosis_code"),
    "end_time": ("identity_misuse", "end_time"),
    "persons": ("identity_misuse", "persons.sex"),
    "providers": ("card_lending", "providers.region_code"),
    "claim_items": ("kickback", "claim_items"),
    "doctors": ("kickback", "doctors"),
}


def _without(what: str) -> dict[str, pd.DataFrame]:
    frames = city.build()
    if what in frames:
        return {t: f for t, f in frames.items() if t != what}
    claims = frames["claims"].copy()
    claims[what] = None
    return {**frames, "claims": claims}


def _scan(
    path: Path, frames: dict[str, pd.DataFrame], patterns: list[str] | None = None
) -> tuple[list, ScanReport]:
    ws = Workspace.open(path)
    store = embedded_store(ws)
    for table in ("persons", "providers", "doctors", "claims", "claim_items"):
        if table in frames:
            store.upsert(table, frames[table])
    report = ScanReport()
    rings = scan(store, patterns=patterns, report=report)
    ws.close()
    return rings, report


@pytest.mark.parametrize("what", sorted(ABLATIONS))
def test_scan_runs_and_says_what_it_lost(tmp_path: Path, what: str) -> None:
    expected = ABLATIONS[what]
    # the detector that rests on what is missing (all four where none does)
    patterns = [expected[0]] if expected else None
    rings, report = _scan(tmp_path / "ws", _without(what), patterns)
    assert set(report.lost) == set(patterns or city_patterns())
    if expected is not None:
        pattern, signal = expected
        assert signal in {s for s, _ in report.lost[pattern]}, report.lost[pattern]
    for ring in rings:
        assert [list(x) for x in report.lost[ring.pattern]] == ring.method["lost_signals"]


def city_patterns() -> list[str]:
    from graphscan.rings import PATTERNS

    return list(PATTERNS)


def test_full_data_loses_nothing_it_relies_on(tmp_path: Path) -> None:
    _, report = _scan(tmp_path / "ws", city.build(), ["card_lending"])
    assert not report.lost["card_lending"]


def test_no_operator_falls_back_to_the_pharmacy(tmp_path: Path) -> None:
    """Without counter operators the pharmacy is the venue: the lending ring is still
    found, as the pharmacy and its cards."""
    rings, report = _scan(tmp_path / "ws", _without("operator_id"))
    lending = [r for r in rings if r.pattern == "card_lending"]
    assert lending and not lending[0].member_ids("operator")
    found = lending[0].member_ids("person")
    assert len(found & set(city.LENDING_CARDS)) >= 0.7 * len(city.LENDING_CARDS)
    reason = dict(report.lost["card_lending"])["operator_id"]
    assert "pharmacy" in reason


def test_cli_scan_prints_lost_signals_and_profile(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from graphscan.cli.main import cli

    ws_dir = tmp_path / "ws"
    ws = Workspace.open(ws_dir)
    store = embedded_store(ws)
    for table, frame in _without("operator_id").items():
        store.upsert(table, frame)
    ws.close()
    args = ["--lang", "en", "scan", "-w", str(ws_dir), "--pattern", "card_lending", "--profile"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert "warning: card_lending lost operator_id (not recorded on pharmacy claims" in out.output
    assert "card_lending: read" in out.output and "peak memory" in out.output


def test_a_scan_reads_the_data_coverage_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Coverage reads every claim: a scan of all patterns reads it once, for them all,
    and each detector still says what it lost."""
    from graphscan.store.embedded import EmbeddedStore

    reads: list[str] = []
    projection = EmbeddedStore.projection

    def counted(self: EmbeddedStore, name: str, **params: object) -> pd.DataFrame:
        reads.append(name)
        return projection(self, name, **params)

    monkeypatch.setattr(EmbeddedStore, "projection", counted)
    _, report = _scan(tmp_path / "ws", _without("doctor_id"))
    assert reads.count("data_coverage") == 1
    assert set(report.lost) == set(city_patterns())
    assert "doctor_id" in {s for s, _ in report.lost["kickback"]}


def test_a_failed_scan_still_prints_its_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from graphscan.cli.main import cli
    from graphscan.detect.card_lending import CardLending
    from graphscan.errors import StoreError

    def out_of_memory(self: CardLending, frames: object) -> list:
        raise StoreError("Out of Memory Error: could not allocate block")

    ws_dir = tmp_path / "ws"
    ws = Workspace.open(ws_dir)
    store = embedded_store(ws)
    for table, frame in city.build().items():
        store.upsert(table, frame)
    ws.close()
    monkeypatch.setattr(CardLending, "decide", out_of_memory)
    args = ["--lang", "en", "scan", "-w", str(ws_dir), "--pattern", "card_lending", "--profile"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 1 and "Out of Memory" in out.output
    for stage in ("data coverage", "card_lending: read", "card_lending: decide (failed)"):
        assert stage in out.output


def test_without_providers_a_pharmacy_is_placed_by_its_national_code(tmp_path: Path) -> None:
    """No providers table: the pharmacy's county comes from its national code (P + six
    digits), compared with a holder's township on the digits both know, or with the
    counties of the card's other places where no home is known."""
    when = pd.Timestamp("2025-03-01 10:00")
    rows = [
        ("c1", "pharmacy", "far", "P33070410036"),  # home in another county
        ("c2", "pharmacy", "near", "P33070410036"),  # home a township of the same county
        ("c3", "pharmacy", "unplaced", "P33070410036"),  # no home: its clinic elsewhere
        ("c4", "outpatient", "unplaced", "H33070210001"),
        ("c5", "pharmacy", "local", "P33070410036"),  # no home: its clinic in the county
        ("c6", "outpatient", "local", "H33070410002"),
    ]
    claims = pd.DataFrame(
        {
            "claim_id": [r[0] for r in rows],
            "kind": [r[1] for r in rows],
            "person_id": [r[2] for r in rows],
            "card_id": [r[2] for r in rows],
            "provider_id": [r[3] for r in rows],
            "start_time": when,
            "total_amount": 50.0,
        }
    )
    persons = pd.DataFrame(
        {"person_id": ["far", "near"], "region_code": ["330702001", "330704003"]}
    )
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    store.upsert("persons", persons)
    store.upsert("claims", claims)
    away = store.projection(
        "card_away", since=None, until=None, pharmacies=["P33070410036"], region_digits=9
    ).set_index("card_id")
    ws.close()
    assert away["away"].to_dict() == {"far": 1, "local": 0, "near": 0, "unplaced": 1}
    assert away["basis"].to_dict() == {
        "far": "address",
        "local": "claims",
        "near": "address",
        "unplaced": "claims",
    }
