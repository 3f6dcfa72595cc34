"""How a rescan matches each ring to a case (graphscan.casebook.CaseBook._match through
record_scan): the same members keep their id; a changed ring continues the free case of
its pattern it overlaps most (Jaccard >= 0.5, ties to the last case id), never a case of
another pattern nor one another ring of the scan already took; else it is a new case.
Rings are made up: the case book reads only their members and figures."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from graphscan.casebook import CaseBook, case_id_for
from graphscan.rings import Member, Ring
from graphscan.workspace import Workspace


def ring(pattern: str, persons: list[str], pharmacy: str = "P1") -> Ring:
    return Ring(
        pattern=pattern,
        members=[Member("pharmacy", pharmacy, "pharmacy")]
        + [Member("person", p, "card_holder") for p in persons],
        claim_ids=[f"c-{p}" for p in persons],
        statistic=5.0,
        expected=1.0,
        p_value=1e-4,
        total_amount=100.0,
        fund_amount=80.0,
        account_amount=20.0,
        first_time=datetime(2025, 3, 1),
        last_time=datetime(2025, 3, 31),
        explanation_zh="测试",
        explanation_en="test",
        q_value=1e-3,
        score=1.0,
    )


def persons(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


def test_a_changed_ring_continues_the_case_it_overlaps_most(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    book = CaseBook(ws)
    small = ring("kickback", persons("a", 4), "P1")  # shares 4 of 9 entities below: 0.44
    large = ring("kickback", persons("a", 6) + persons("b", 2), "P1")  # shares 7 of 9: 0.78
    other = ring("card_lending", persons("a", 7), "P1")  # another pattern: never matched
    book.record_scan([small, large, other], ["kickback", "card_lending"])
    grown = ring("kickback", persons("a", 7) + persons("b", 1), "P1")
    found = {c.case_id for c in book.record_scan([grown], ["kickback"])}
    assert found == {case_id_for(large)}
    ws.close()


def test_a_case_is_continued_once_and_ties_go_to_the_last_case_id(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    book = CaseBook(ws)
    left = ring("kickback", [*persons("a", 3), "l"], "P1")
    right = ring("kickback", [*persons("a", 3), "r"], "P1")
    book.record_scan([left, right], ["kickback"])
    # each overlaps both equally (4 of 6 entities): the first takes the later id, the
    # second the case that is left
    first = ring("kickback", [*persons("a", 3), "x"], "P1")
    second = ring("kickback", [*persons("a", 3), "y"], "P1")
    cases = book.record_scan([first, second], ["kickback"])
    later, earlier = sorted([case_id_for(left), case_id_for(right)], reverse=True)
    by_member = {next(m.id for m in c.members if m.id in "xy"): c.case_id for c in cases}
    assert by_member == {"x": later, "y": earlier}
    # a third ring finds both taken and no other overlap: a new case
    third = ring("kickback", [*persons("a", 3), "z"], "P1")
    cases = book.record_scan([first, second, third], ["kickback"])
    assert {c.case_id for c in cases} == {later, earlier, case_id_for(third)}
    ws.close()


def test_a_ring_sharing_less_than_half_is_a_new_case(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    book = CaseBook(ws)
    old = ring("kickback", persons("a", 5), "P1")
    book.record_scan([old], ["kickback"])
    moved = ring("kickback", persons("a", 2) + persons("n", 4), "P2")  # 2 of 12 shared
    assert [c.case_id for c in book.record_scan([moved], ["kickback"])] == [case_id_for(moved)]
    ws.close()
