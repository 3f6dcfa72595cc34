"""One masking rule everywhere: the explanation names doctors, operators and providers
exactly as the page, the memo and the CSV do (a detector's shortened mention is never a
second, longer mask), two doctors never print alike, a provider code is shown whole; and
a masked id read off an export is taken back by explore, cases show and reidentify."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from embedded_store import embedded_store
from evidence_data import clear_id, ring_case, ring_claims

from graphscan.casebook import CaseBook
from graphscan.cli.main import cli
from graphscan.detect.base import short
from graphscan.masks import resolve
from graphscan.pseudonym import Pseudonymiser
from graphscan.rings import Case
from graphscan.viz.identifiers import IdentifierView
from graphscan.viz.package import export_case
from graphscan.workspace import Workspace

DOCTORS = ("D330102000123", "D330102000923")  # same detector prefix, same last two digits
PHARMACY = "P33010200017"


def two_doctor_ring(pseudonymiser: Pseudonymiser) -> tuple[pd.DataFrame, Case]:
    claims = ring_claims(pseudonymiser)
    ring = claims.index[claims["operator_id"] == "OP-7"]
    claims.loc[ring, "doctor_id"] = [DOCTORS[i % 2] for i in range(len(ring))]
    case = ring_case(claims)
    doctors = ", ".join(short(d) + "…" for d in DOCTORS)  # as the kickback detector writes
    operator = short("OP-7")
    case.explanation_zh = f"医师 {doctors} 的处方流向药店 {short(PHARMACY)}…，操作员 {operator}…"
    case.explanation_en = f"Doctors {doctors} sent prescriptions to pharmacy {short(PHARMACY)}…"
    return claims, case


def test_explanation_page_memo_and_csv_use_one_mask(tmp_path: Path) -> None:
    claims, case = two_doctor_ring(Pseudonymiser(b"mask-test", tmp_path / "vault"))
    evidence = claims[claims["claim_id"].isin(case.claim_ids)]
    export_case(case, evidence, tmp_path / "out")
    out = tmp_path / "out"
    rows = list(csv.DictReader(io.StringIO((out / "evidence_claims.csv").read_text("utf-8-sig"))))
    in_csv = {r["doctor_id"] for r in rows}
    assert in_csv == {"D33…123", "D33…923"}  # grown until the two doctors differ
    for name in ("memo.md", "memo.html", "case.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert "医师 D33…123, D33…923 的处方流向药店 P33010200017，操作员 OP-7" in text, name
        assert "D3301020" not in text and f"{PHARMACY}…" not in text, name
        assert not any(d in text for d in DOCTORS), name


def test_masks_never_print_two_entities_alike() -> None:
    view = IdentifierView.masked(
        {
            "doctor": ["D3301000001", "D3399000001"],
            "operator": ["D33OP000001"],
            "person": ["abcdefghij111"],
            "card": ["abcdefghij222"],
        }
    )
    shown = [
        view.show("doctor", "D3301000001"),
        view.show("doctor", "D3399000001"),
        view.show("operator", "D33OP000001"),
        view.show("person", "abcdefghij111"),
        view.show("card", "abcdefghij222"),
    ]
    assert len(set(shown)) == len(shown), shown
    # an ambiguous shortened mention is cut to what a mask shows, never left longer
    assert view.scrub("医师 D3301… 和 abcdefghij1… 与 abcdefg…") == (
        f"医师 {shown[0]} 和 {shown[3]} 与 abcdefg…"
    )


def test_resolve_takes_a_mask_back() -> None:
    ids = ["D330102000123", "D330102000923", "29c8db8732e6fd4a8c0c"]
    assert resolve("D33…123", ids) == "D330102000123"
    assert resolve("29c8db8732...", ids) == "29c8db8732e6fd4a8c0c"
    assert resolve("D330102000923", ids) == "D330102000923"
    with pytest.raises(ValueError, match="ambiguous: it matches D330102000123, D330102000923"):
        resolve("D33…23", ids)
    with pytest.raises(ValueError, match="no identifier matches"):
        resolve("X99…1", ids)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Case]:
    monkeypatch.setenv("GRAPHSCAN_KEY", "mask-test-key")
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(tmp_path / "vault"))
    claims, case = two_doctor_ring(Pseudonymiser.from_environment())
    ws = Workspace.open(tmp_path / "ws")
    embedded_store(ws).upsert("claims", claims)
    (case,) = CaseBook(ws).record_scan([case], ["card_lending"])
    ws.close()
    return tmp_path / "ws", case


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--lang", "en", *args])


def test_explore_takes_a_masked_id(workspace: tuple[Path, Case], tmp_path: Path) -> None:
    ws, _ = workspace
    out = tmp_path / "tip.html"
    result = run("explore", "D33…923", "--hops", "1", "-w", str(ws), "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "探查：D33…23" in html and DOCTORS[1] not in html  # alone on its page: shortest
    ambiguous = run("explore", "D33…23", "-w", str(ws))
    assert ambiguous.exit_code == 1 and "Traceback" not in ambiguous.output
    assert "Error: D33…23 is ambiguous: it matches D330102000123, D330102000923\n" in (
        ambiguous.output
    )


def test_cases_show_and_reidentify_take_a_masked_person(workspace: tuple[Path, Case]) -> None:
    ws, case = workspace
    person = next(m.id for m in case.members if m.kind == "person")
    masked = person[:10] + "…"
    shown = run("cases", "show", masked, "-w", str(ws))
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(case.case_id)
    unknown = run("cases", "show", "ffffffffff…", "-w", str(ws))
    assert unknown.exit_code == 1 and "no identifier matches" in unknown.output
    revealed = run("reidentify", masked)
    assert revealed.exit_code == 0, revealed.output
    (line,) = [x for x in revealed.output.splitlines() if "\t" in x]
    assert line.split("\t")[0] == masked and re.fullmatch(r"3301021960\d{6}1X", line.split("\t")[1])
    assert line.split("\t")[1] in {clear_id(i) for i in range(24)}
