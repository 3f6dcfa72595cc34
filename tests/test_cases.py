"""The case book: stable ids across rescans, continuation of grown rings, status
workflow with notes, the members export, and the CLI that reads it all back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import handmade_city as city
import pandas as pd
import pytest
from click.testing import CliRunner
from embedded_store import embedded_store

from graphscan.api import scan_store
from graphscan.casebook import MEMBER_COLUMNS, CaseBook, case_id_for, ranked_members
from graphscan.cli.main import cli
from graphscan.detect import scan
from graphscan.rings import PATTERNS, Member
from graphscan.workspace import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.open(tmp_path_factory.mktemp("cases") / "ws")
    city.load(embedded_store(ws))
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def first_scan(workspace: Workspace) -> list:
    return scan_store(embedded_store(workspace), workspace, PATTERNS)


def test_rescan_of_the_same_data_keeps_ids(workspace: Workspace, first_scan: list) -> None:
    again = scan_store(embedded_store(workspace), workspace, PATTERNS)
    assert [c.case_id for c in again] == [c.case_id for c in first_scan]
    assert all(c.case_id.startswith("GS-") and len(c.case_id) == 11 for c in again)
    assert [c.rank for c in again] == list(range(1, len(again) + 1))


def test_grown_ring_keeps_its_case(tmp_path: Path) -> None:
    """More data changes the members a little: the case id stays; a different ring of the
    pattern gets a new id."""
    ws = Workspace.open(tmp_path / "ws")
    city.load(embedded_store(ws))
    rings = scan(embedded_store(ws), patterns=["card_lending"])
    book = CaseBook(ws)
    [case] = book.record_scan(rings, ["card_lending"])
    grown = replace(
        rings[0], members=[*rings[0].members, Member("card", "card-NEW", "card_holder")]
    )
    assert case_id_for(grown) != case.case_id
    [kept] = book.record_scan([grown], ["card_lending"])
    assert kept.case_id == case.case_id
    assert ("card", "card-NEW") in {(m.kind, m.id) for m in kept.members}
    other = replace(rings[0], members=[Member("pharmacy", "P9", "pharmacy")])
    cases = book.record_scan([grown, other], ["card_lending"])
    assert {c.case_id for c in cases} == {case.case_id, case_id_for(other)}
    # gone from the next scan: kept in the book, no longer current
    assert book.record_scan([], ["card_lending"]) == []
    assert len(book.list(include_stale=True)) == 2
    ws.close()


def test_status_workflow_and_notes(workspace: Workspace, first_scan: list) -> None:
    book = CaseBook(workspace)
    case_id = first_scan[-1].case_id
    assert book.get(case_id).status == "new"
    book.set_status(case_id, "reviewing", "pulled the CCTV")
    with pytest.raises(ValueError, match="can move to confirmed, dismissed"):
        book.set_status(case_id, "referred")
    book.set_status(case_id, "confirmed")
    case = book.set_status(case_id, "confirmed", "amounts checked by hand")
    assert case.status == "confirmed"
    changes = [
        (n["kind"], n["to_status"], n["note"]) for n in case.notes if n["kind"] != "rescanned"
    ]
    assert changes[1:] == [
        ("status", "reviewing", "pulled the CCTV"),
        ("status", "confirmed", None),
        ("note", "confirmed", "amounts checked by hand"),
    ]
    # status survives a rescan
    scan_store(embedded_store(workspace), workspace, PATTERNS)
    assert book.get(case_id).status == "confirmed"
    with pytest.raises(ValueError, match="no case"):
        book.get("GS-00000000")


def test_ranked_members_shape(workspace: Workspace, first_scan: list) -> None:
    members = ranked_members(workspace)
    assert list(members.columns) == MEMBER_COLUMNS
    assert set(members["case_id"]) == {c.case_id for c in first_scan}
    assert members["rank"].is_monotonic_increasing
    top = first_scan[0]
    mine = members[members["case_id"] == top.case_id]
    assert set(zip(mine["member_kind"], mine["member_id"], strict=True)) == {
        (m.kind, m.id) for m in top.members
    }


def test_get_returns_what_the_scan_found(workspace: Workspace, first_scan: list) -> None:
    for case in first_scan:
        stored = CaseBook(workspace).get(case.case_id)
        assert stored.claim_ids == case.claim_ids
        assert stored.explanation_en == case.explanation_en
        assert stored.total_amount == pytest.approx(case.total_amount)


def test_cli_scan_list_show_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws_dir = tmp_path / "ws"
    ws = Workspace.open(ws_dir)
    city.load(embedded_store(ws))
    ws.close()
    runner = CliRunner()
    out = runner.invoke(cli, ["--lang", "en", "scan", "-w", str(ws_dir)])
    assert out.exit_code == 0, out.output
    assert "rings found" in out.output and "GS-" in out.output
    listed = runner.invoke(cli, ["cases", "list", "-w", str(ws_dir), "--format", "json"])
    cases = json.loads(listed.output)
    assert [c["rank"] for c in cases] == list(range(1, len(cases) + 1))
    target = tmp_path / "members.csv"
    runner.invoke(
        cli, ["cases", "list", "-w", str(ws_dir), "--members", "--format", "csv", "--out", target]
    )
    members = pd.read_csv(target)
    assert list(members.columns) == MEMBER_COLUMNS
    case_id = cases[0]["case_id"]
    shown = runner.invoke(cli, ["--lang", "en", "cases", "show", case_id, "-w", str(ws_dir)])
    assert shown.exit_code == 0 and "Members by role" in shown.output
    assert cases[0]["explanation_zh"] in shown.output
    moved = runner.invoke(
        cli, ["cases", "status", case_id, "reviewing", "--note", "看监控", "-w", str(ws_dir)]
    )
    assert moved.exit_code == 0 and "reviewing" in moved.output
    bad = runner.invoke(cli, ["cases", "status", case_id, "referred", "-w", str(ws_dir)])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    monkeypatch.delenv("GRAPHSCAN_KEY", raising=False)
    monkeypatch.setenv("GRAPHSCAN_KEY_FILE", str(tmp_path / "no-key"))
    refused = runner.invoke(cli, ["cases", "list", "--members", "--reveal", "-w", str(ws_dir)])
    assert refused.exit_code == 1 and "pseudonymisation key" in refused.output
    for command in (["scan"], ["cases"], ["cases", "list"], ["cases", "show"], ["cases", "status"]):
        helped = runner.invoke(cli, [*command, "--help"])
        assert "Example / 示例" in helped.output


def test_a_scan_of_one_pattern_reports_only_its_cases(tmp_path: Path) -> None:
    """`scan --pattern kickback` answers with kickback cases, not with the card-lending
    cases an earlier scan left current."""
    ws = Workspace.open(tmp_path / "ws")
    city.load(embedded_store(ws))
    book = CaseBook(ws)
    assert book.record_scan(scan(embedded_store(ws), patterns=["card_lending"]), ["card_lending"])
    kickback = book.record_scan(scan(embedded_store(ws), patterns=["kickback"]), ["kickback"])
    assert kickback and {c.pattern for c in kickback} == {"kickback"}
    ws.close()
    out = CliRunner().invoke(
        cli, ["scan", "--pattern", "kickback", "--lang", "en", "-w", str(tmp_path / "ws")]
    )
    assert out.exit_code == 0, out.output
    table = out.output[out.output.index("ranked by score") :]
    assert "kickback" in table and "card lending" not in table and "card_lending" not in table
    assert "q <= 0.01" in out.output
