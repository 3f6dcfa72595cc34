"""What a police officer reads beyond the claims: an organiser with no claims of their
own is drawn (linked to the recruits by the shared phone) and explained; a kickback case
names the prescribing institution; drug names and quantities appear in the page, memo
and CSV; fund + account + cash = total."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from embedded_store import embedded_store
from evidence_data import DRUG, INSTITUTION, context_cases, context_tables

from graphscan.casebook import CaseBook
from graphscan.cli.main import cli
from graphscan.pseudonym import Pseudonymiser
from graphscan.rings import Case
from graphscan.workspace import Workspace


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[Case, Path]]:
    """Both cases recorded in a workspace and exported with `graphscan cases export`."""
    monkeypatch.setenv("GRAPHSCAN_KEY", "context-test-key")
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(tmp_path / "vault"))
    tables = context_tables(Pseudonymiser.from_environment())
    ws = Workspace.open(tmp_path / "ws")
    store = embedded_store(ws)
    for name, frame in tables.items():
        store.upsert(name, frame)
    cases = CaseBook(ws).record_scan(
        list(context_cases(tables)), ["group_hospitalisation", "kickback"]
    )
    ws.close()
    out = {}
    for case in cases:
        folder = tmp_path / case.pattern
        result = CliRunner().invoke(
            cli, ["--lang", "en", "cases", "export", case.case_id, "-w", str(tmp_path / "ws"),
                  "--out", str(folder)]
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        out[case.pattern] = (case, folder)
    return out


def graph_of(html: str) -> tuple[list[dict], list[dict]]:
    nodes = json.loads(re.search(r"new vis\.DataSet\((\[.*?\])\);\n", html).group(1))
    edges = json.loads(re.findall(r"new vis\.DataSet\((\[.*?\])\);\n", html)[1])
    return nodes, edges


def test_an_organiser_without_claims_is_drawn_and_explained(
    exported: dict[str, tuple[Case, Path]],
) -> None:
    case, folder = exported["group_hospitalisation"]
    organiser = next(m.id for m in case.members if m.role == "organiser")
    shown = organiser[:10] + "…"
    html = (folder / "case.html").read_text(encoding="utf-8")
    nodes, edges = graph_of(html)
    (node,) = [n for n in nodes if n["id"] == f"person:{shown}"]
    assert "组织者" in node["title"] and "本人无单据 no claims of their own" in node["title"]
    phone_edges = [e for e in edges if node["id"] in (e["from"], e["to"]) and e.get("dashes")]
    assert len(phone_edges) == 6 and all("共用电话" in e["title"] for e in phone_edges)
    memo = (folder / "memo.md").read_text(encoding="utf-8")
    for text in (html, memo):
        assert (
            f"组织者 {shown}：本人没有任何结算单据；与本案 6 名被招募人员登记了同一电话号码" in text
        )
        assert f"Organiser {shown} has no claims of their own" in text
    assert organiser not in html and organiser not in memo


def test_kickback_names_the_institution_drugs_and_cash(
    exported: dict[str, tuple[Case, Path]],
) -> None:
    _, folder = exported["kickback"]
    html = (folder / "case.html").read_text(encoding="utf-8")
    memo = (folder / "memo.md").read_text(encoding="utf-8")
    named = f"{INSTITUTION[0]} ({INSTITUTION[1]})"
    assert named in html
    assert f"| {INSTITUTION[0]} | {INSTITUTION[1]} |" in memo
    nodes, _ = graph_of(html)
    assert any(n["id"] == f"institution:{INSTITUTION[1]}" for n in nodes)
    rows = list(
        csv.DictReader(io.StringIO((folder / "evidence_claims.csv").read_text("utf-8-sig")))
    )
    assert {r["items"] for r in rows} == {f"{DRUG[1]} ({DRUG[0]}) ×3"}
    assert f"{DRUG[1]} ({DRUG[0]}) ×3" in html
    assert f"| {DRUG[0]} | {DRUG[1]} | drug | 24 | ¥7,200.00 | 8 |" in memo
    assert f"{DRUG[1]} ({DRUG[0]}) ×24 ¥7,200.00" in html
    # the money adds up: fund 4,000 + account 2,400 + cash 800 = total 7,200
    for line in ("总费用 Total: ¥7,200.00", "统筹基金支付 Paid by the pooled fund: ¥4,000.00",
                 "个人账户支付 Paid from personal accounts: ¥2,400.00",
                 "现金支付 Paid in cash: ¥800.00"):  # fmt: skip
        assert line in memo, line
    assert "其他" not in memo
    assert "现金支付" in html and "¥800.00" in html


def test_money_that_does_not_add_up_says_so(
    exported: dict[str, tuple[Case, Path]], tmp_path: Path
) -> None:
    from graphscan.viz.context import payments

    case, _ = exported["kickback"]
    claims = embedded_store(Workspace.open(tmp_path / "ws")).claims(case.claim_ids)
    claims["cash_amount"] = None  # an extract without the cash column
    lines = {label.en: value for label, value in payments(case, claims)}
    assert lines["paid in cash"] == 0.0 and lines["other payers or not recorded"] == 800.0
    assert sum(lines.values()) == pytest.approx(case.total_amount)


def test_re_export_with_the_store_context_is_byte_identical(
    exported: dict[str, tuple[Case, Path]], tmp_path: Path
) -> None:
    for case, folder in exported.values():
        again = tmp_path / "again" / case.pattern
        result = CliRunner().invoke(
            cli, ["cases", "export", case.case_id, "-w", str(tmp_path / "ws"), "--out", str(again)]
        )
        assert result.exit_code == 0, result.output
        (first,) = folder.glob("*-evidence.zip")
        assert (again / first.name).read_bytes() == first.read_bytes()
