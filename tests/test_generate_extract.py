"""The real-extract variant (Chinese headers, GBK, Excel, mixed dates, broken rows,
reversals) round-trips through the loaders into the embedded store."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from graphscan.cli.main import cli
from graphscan.pseudonym import Pseudonymiser
from graphscan.store import open_store
from graphscan.workspace import Workspace

pipeline = pytest.importorskip(
    "graphscan.loaders.pipeline", reason="the loaders are not importable yet"
)


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    city = tmp_path_factory.mktemp("city")
    args = ["generate", "--persons", "1500", "--seed", "9", "--out", str(city), "--real-extract"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return city


def test_extract_looks_like_a_real_export(extract: Path) -> None:
    folder = extract / "extract"
    raw = (folder / "门诊购药结算_2025.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gbk")
    assert text.startswith("结算ID,就诊类型,身份证号,医保卡号,定点机构编码")
    assert "原结算ID" in text.splitlines()[0]
    assert "购药" in text and "门诊" in text and ",-" in text
    assert (folder / "住院结算.xlsx").exists()


def test_extract_is_reproducible_from_parquet_too(extract: Path, tmp_path: Path) -> None:
    args = ["generate", "--persons", "1500", "--seed", "9", "--out", str(tmp_path)]
    result = CliRunner().invoke(cli, [*args, "--format", "parquet", "--real-extract"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (extract / "extract").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "extract").iterdir())
    for name in names:
        assert (extract / "extract" / name).read_bytes() == (
            tmp_path / "extract" / name
        ).read_bytes()


def test_extract_round_trips_through_the_loaders(
    extract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPHSCAN_KEY", "round trip key")
    monkeypatch.setenv("GRAPHSCAN_VAULT_FILE", str(tmp_path / "vault"))
    hasher = Pseudonymiser.from_environment(create=False)
    workspace = Workspace.open(tmp_path / "ws")
    store = open_store(None, workspace)
    folder = extract / "extract"
    report = pipeline.load_files(
        [*sorted(folder.glob("*.csv")), folder / "住院结算.xlsx"],
        store,
        workspace,
        hasher,
        pipeline.Options(),
    )
    for file in report.files:
        assert file.error is None, (file.file, file.error)
        assert file.reconciles, file.file
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    canonical = pd.read_csv(extract / "claims.csv", dtype=str, keep_default_na=False)
    lost = (
        set(manifest["broken_fields"]) | set(manifest["bad_time"]) | set(manifest["missing_person"])
    )
    by_file = {f.file: f for f in report.files}
    outpatient = by_file["门诊购药结算_2025.csv"]
    assert outpatient.quarantined["broken_row"] == len(manifest["broken_fields"])
    assert outpatient.quarantined["bad_time"] == len(manifest["bad_time"])
    assert outpatient.quarantined["missing_key"] == len(manifest["missing_person"])
    assert outpatient.duplicates == len(manifest["duplicated"])
    reversed_ids = manifest["reversed_same_id"] + manifest["reversed_new_id"]
    assert outpatient.reversals == len(reversed_ids)
    assert by_file["住院结算.xlsx"].loaded == (canonical["kind"] == "inpatient").sum()

    db = workspace.db()
    stored = db.execute(
        "SELECT claim_id, kind, person_id, provider_id, start_time, total_amount FROM claims"
    ).df()
    assert set(stored["claim_id"]) == set(canonical["claim_id"]) - lost
    expected = canonical[~canonical["claim_id"].isin(lost)].set_index("claim_id")
    stored = stored.set_index("claim_id").loc[expected.index]
    assert (stored["kind"] == expected["kind"]).all()
    assert (stored["person_id"] == hasher.pseudonymise(expected["person_id"])).all()
    # times survive every format to the minute (one format drops the seconds)
    minutes = pd.to_datetime(expected["start_time"]).dt.floor("min")
    assert (pd.to_datetime(stored["start_time"]).dt.floor("min") == minutes).all()
    # amounts survive; a full reversal nets the claim to zero
    amounts = expected["total_amount"].map(Decimal)
    reversed_ = expected.index.isin(reversed_ids)
    assert (stored.loc[~reversed_, "total_amount"].map(Decimal) == amounts[~reversed_]).all()
    assert (stored.loc[reversed_, "total_amount"].map(Decimal) == 0).all()
    assert store.status()["counts"]["reversals"] == len(reversed_ids)
