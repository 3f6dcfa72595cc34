"""The embedded store reads a load's rows once (they arrive as an Arrow stream) and still
derives every person, provider and doctor the new claims name."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from embedded_store import embedded_store
from test_neo4j_store import claims_frame

from graphscan.store.embedded import EmbeddedStore
from graphscan.workspace import Workspace


def _stream(frame: object) -> pa.RecordBatchReader:
    table = pa.Table.from_pandas(frame, preserve_index=False)  # type: ignore[arg-type]
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=7))


def _entities(store: EmbeddedStore) -> dict[str, set[str]]:
    return {
        table: {r[0] for r in store.db.execute(f"SELECT {key} FROM {table}").fetchall()}
        for table, key in (
            ("persons", "person_id"),
            ("providers", "provider_id"),
            ("doctors", "doctor_id"),
        )
    }


def test_new_claims_in_later_loads_derive_their_entities(tmp_path: Path) -> None:
    frame = claims_frame(40)
    frame["person_id"] = [f"p{i}" for i in range(40)]  # every claim a new person
    frame["provider_id"] = [f"v{i // 10}" for i in range(40)]
    first, second, third = frame.iloc[:15], frame.iloc[10:30], frame.iloc[30:]
    workspace = Workspace.open(tmp_path)
    store = embedded_store(workspace)
    assert store.upsert("claims", _stream(first)) == 15
    assert store.upsert("claims", _stream(second)) == 15  # 5 already stored
    workspace.close()  # checkpointed and reopened: the stored rows are renumbered on disk
    workspace = Workspace.open(tmp_path)
    store = embedded_store(workspace)
    assert store.upsert("claims", _stream(third)) == 10
    entities = _entities(store)
    assert entities["persons"] == set(frame["person_id"])
    assert entities["providers"] == set(frame["provider_id"])
    assert entities["doctors"] == set(frame["doctor_id"].dropna())
    pharmacies = store.db.execute(
        "SELECT provider_id FROM providers WHERE kind = 'pharmacy' ORDER BY 1"
    ).fetchall()
    assert [p for (p,) in pharmacies] == sorted(
        set(frame.loc[frame["kind"] == "pharmacy", "provider_id"])
    )
    workspace.close()


def test_the_store_needs_only_a_connection_and_a_spill_folder(tmp_path: Path) -> None:
    """No workspace: a DuckDB file of its own, its spill folder made private only when a
    memory limit is set, and its status naming that file."""
    path, spill = tmp_path / "plain.duckdb", tmp_path / "spill"
    store = EmbeddedStore(duckdb.connect(str(path)), spill)
    assert store.upsert("claims", _stream(claims_frame(12))) == 12
    assert not spill.exists()
    store.limit_memory(64 * 2**20)
    assert stat.S_IMODE(spill.stat().st_mode) == 0o700
    status = store.status()
    assert status["location"] == str(path)
    assert status["counts"]["claims"] == 12
    made = {p.name for p in tmp_path.iterdir()} - {"plain.duckdb.wal"}
    assert made == {"plain.duckdb", "spill"}  # no lock file, no workspace.json


def test_a_workspace_opens_its_stores_on_its_one_connection(tmp_path: Path) -> None:
    """open_store hands every store of a workspace the workspace's connection (DuckDB
    allows one writer per file), so what one writes the other and the case book read."""
    workspace = Workspace.open(tmp_path / "ws")
    first, second = embedded_store(workspace), embedded_store(workspace)
    assert first.db is second.db is workspace.db()
    first.upsert("claims", _stream(claims_frame(5)))
    assert second.status()["counts"]["claims"] == 5
    assert second.status()["location"] == str(workspace.db_path)
    # and spills into the workspace's private folder, set when the connection opened
    spill = workspace.db().execute("SELECT current_setting('temp_directory')").fetchone()
    assert spill == (str(workspace.spill_dir),)
    assert stat.S_IMODE(workspace.spill_dir.stat().st_mode) == 0o700
    workspace.close()


def _item_lines(claims: range) -> pd.DataFrame:
    """Three lines per claim, the claims' lines interleaved as a file may list them."""
    lines = [(f"c{c:03d}", line) for line in range(3) for c in claims]
    return pd.DataFrame(
        {
            "claim_id": [c for c, _ in lines],
            "item_code": [f"D{(int(c[1:]) + line) % 7}" for c, line in lines],
            "line_no": [str(line) for _, line in lines],
            "item_name": "阿莫西林",
            "item_kind": "drug",
            "quantity": 2.0,
            "amount": [1.5 + int(c[1:]) + line for c, line in lines],
        }
    )


def test_a_case_s_item_lines_are_found_through_item_links(tmp_path: Path) -> None:
    """evidence_items reads the lines of the claims asked through item_links, not a scan of
    every line: the same lines as the scan, after a second load (which links only its own
    lines), for a store opened without links (linked on open), and with a link that a
    hash collision would make (it adds no line)."""
    workspace = Workspace.open(tmp_path)
    store = embedded_store(workspace)
    store.upsert("claim_items", _item_lines(range(0, 60)))
    store.upsert("claim_items", _item_lines(range(40, 120)))  # 40-59 already stored
    wanted = ["c007", "c055", "c100", "c119", "nobody"]
    scan = (
        "SELECT claim_id, item_code, item_name, item_kind, CAST(quantity AS DOUBLE) AS "
        "quantity, CAST(amount AS DOUBLE) AS amount FROM claim_items "
        "WHERE list_contains(?, claim_id) ORDER BY ALL"
    )
    reference = store.db.execute(scan, [wanted]).df()
    assert len(reference) == 12
    linked = store.db.execute("SELECT count(*), count(DISTINCT item_row) FROM item_links")
    assert linked.fetchall()[0] == (360, 360)
    pd.testing.assert_frame_equal(store.projection("evidence_items", claim_ids=wanted), reference)

    store.db.execute("DROP TABLE item_links")
    store.db.execute("DROP TABLE item_links_state")
    store = embedded_store(workspace)
    pd.testing.assert_frame_equal(store.projection("evidence_items", claim_ids=wanted), reference)
    stranger = store.db.execute("SELECT min(rowid) FROM claim_items WHERE claim_id = 'c001'")
    store.db.execute("INSERT INTO item_links VALUES (hash('c007'), ?)", [stranger.fetchall()[0][0]])
    pd.testing.assert_frame_equal(store.projection("evidence_items", claim_ids=wanted), reference)
    workspace.close()
