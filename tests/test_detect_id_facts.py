"""Without a persons table the holders' sex and age are read from their resident ID
numbers at load (graphscan.loaders.resident_id), stored under the pseudonym only, and the
identity-misuse checks still run on them, in both engines."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from loader_files import all_text_values, write_csv

from graphscan.detect import ScanReport, scan
from graphscan.loaders.pipeline import Options, load_files
from graphscan.loaders.resident_id import facts
from graphscan.pseudonym import Pseudonymiser
from graphscan.store import open_store
from graphscan.store.base import Store
from graphscan.store.embedded import EmbeddedStore
from graphscan.store.neo4j import Neo4jStore
from graphscan.workspace import Workspace

START = datetime(2025, 3, 1, 9)
HEADERS = ["claim_id", "kind", "person_id", "provider_id", "operator_id", "start_time"]
HEADERS += ["diagnosis_code", "total_amount", "fund_amount"]


def resident_id(i: int, male: bool, born: str = "19800101") -> str:
    """An ID number of region 320102 (its check character left at X: not verified)."""
    return f"320102{born}{i % 100:02d}{(2 * i + male) % 10}X"


WOMEN = [resident_id(i, male=False) for i in range(5)]
TOWN = [resident_id(i, male=i % 2 == 1, born="19750615") for i in range(10, 90)]
#: not ID numbers: a member number, a date that is no day, a birth after the claims
OTHERS = ["M-0001", "320102198002301234", "320102203001011234"]


def test_an_id_number_tells_sex_and_birth_date() -> None:
    texts = ["110101199001011234", "11010119900101122X", "110101199001011239"]  # check unverified
    others = ["M-0001", "320102198002301234", "110101189912311234", "1101011990010112"]
    others += ["1101011990010112a", "110101190001011224"[:-1] + "x"]
    found = facts(pa.array(texts + others)).to_pylist()
    day = date(1990, 1, 1)
    assert found[:3] == [{"sex": s, "birth_date": day} for s in ("M", "F", "M")]
    assert found[3:] == [{"sex": None, "birth_date": None}] * len(others)
    assert facts(pa.array(["110101190001011224"])).to_pylist() == [
        {"sex": "F", "birth_date": date(1900, 1, 1)}
    ]


def _claims(path: Path) -> Path:
    """Background visits at two clinics, and cashier O9 at K1 settling prostate
    diagnoses (N40) on five women's cards; the non-ID persons have one too."""
    rows, n = [], 0
    for day in range(40):
        for k, person in enumerate(TOWN[day % 4 :: 4]):
            clinic, operator = ("K1", "O1") if k % 2 else ("K2", "O2")
            when = START + timedelta(days=day, minutes=7 * k)
            rows.append([f"c{n:05d}", "outpatient", person, clinic, operator, f"{when}", "J06"])
            n += 1
    for k, person in enumerate(WOMEN + OTHERS):
        when = START + timedelta(days=3 * k + 1, hours=5)
        rows.append([f"c{n:05d}", "outpatient", person, "K1", "O9", f"{when}", "N40"])
        n += 1
    return write_csv(path, HEADERS, [[*r, "120.00", "80.00"] for r in rows], "utf-8")


ENGINES = ["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]


def _load(request: pytest.FixtureRequest, tmp_path: Path, file: Path) -> tuple[Store, Workspace]:
    workspace = Workspace.open(tmp_path / "ws")
    store = request.getfixturevalue("neo4j_store") if request.param == "neo4j" else None
    store = store or open_store(None, workspace)
    report = load_files([file], store, workspace, Pseudonymiser.from_environment(), Options())
    assert report.files[0].reconciles and not report.files[0].quarantined
    return store, workspace


@pytest.fixture(params=ENGINES)
def loaded(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Store, Workspace]:
    return _load(request, tmp_path, _claims(tmp_path / "claims.csv"))


@pytest.fixture(params=ENGINES)
def persons_loaded(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Store, Workspace]:
    """A persons file without sex or birth date columns."""
    rows = [[p, "320102"] for p in WOMEN + OTHERS]
    return _load(
        request,
        tmp_path,
        write_csv(tmp_path / "p.csv", ["person_id", "region_code"], rows, "utf-8"),
    )


def test_a_cashier_using_women_cards_for_prostate_is_found_without_persons(
    loaded: tuple[Store, Workspace],
) -> None:
    store, _ = loaded
    report = ScanReport()
    rings = scan(store, patterns=["identity_misuse"], report=report)
    assert [r.method["reasons"] for r in rings] == [{"sex": len(WOMEN)}]
    holders = {m.id for m in rings[0].members if m.kind == "person"}
    assert holders == _pseudonyms(WOMEN)
    assert ("persons", "persons table missing: sex and age from the ID numbers, no deaths") in (
        report.lost["identity_misuse"]
    )
    coverage = store.projection("data_coverage", since=None, until=None)
    ids = coverage[(coverage["source"] == "persons") & (coverage["field"] == "id_facts")]
    assert ids[["rows", "filled"]].values.tolist() == [
        [len(WOMEN + TOWN + OTHERS), len(WOMEN + TOWN)]
    ]


def _facts(store: Store) -> dict[str, str]:
    """Pseudonym -> ID-derived sex, as the store holds them."""
    if isinstance(store, EmbeddedStore):
        rows = store.db.execute("SELECT person_id, sex FROM person_id_facts").fetchall()
    else:
        assert isinstance(store, Neo4jStore)
        rows = [
            (r["person_id"], r["sex"])
            for r in store.driver.execute_query(
                "MATCH (p:Person) WHERE p.id_sex IS NOT NULL "
                "RETURN p.person_id AS person_id, p.id_sex AS sex"
            ).records
        ]
    return dict(rows)


def test_a_persons_file_without_sex_gets_it_from_the_id_numbers(
    persons_loaded: tuple[Store, Workspace],
) -> None:
    assert _facts(persons_loaded[0]) == dict.fromkeys(_pseudonyms(WOMEN), "F")


def test_only_id_numbers_derive_facts_and_only_under_pseudonyms(
    loaded: tuple[Store, Workspace],
) -> None:
    store, workspace = loaded
    stored = _facts(store)
    assert set(stored) == _pseudonyms(WOMEN + TOWN)  # not OTHERS, not the clear numbers
    women = _pseudonyms(WOMEN)
    assert {stored[p] for p in women} == {"F"}
    assert sorted(stored.values()).count("M") == sum(int(p[16]) % 2 for p in TOWN)
    if isinstance(store, EmbeddedStore):
        workspace.close()
        values = all_text_values(workspace.db_path)
        assert values and not [c for c in WOMEN + TOWN + OTHERS if any(c in v for v in values)]


def _pseudonyms(clear: list[str]) -> set[str]:
    series = Pseudonymiser.from_environment().pseudonymise(pd.Series(clear))
    return set(series.tolist())
