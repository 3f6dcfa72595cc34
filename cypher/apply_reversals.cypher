// Reversal rows (冲销) not recorded yet (by row_hash) become :Reversal nodes linked to the
// claim they reverse, and their negative amounts (integer fen) are netted into that
// claim in the same transaction, so a replayed batch changes nothing; the claim's person and
// doctor are marked :AggregatesStale for refresh_aggregates. A missing fund,
// account or cash amount on the claim stays missing, as in the embedded store.
// $rows: reversal_id, claim_id, *_cents, source_file, source_row, load_id, row_hash;
// unique by row_hash.
UNWIND $rows AS row
OPTIONAL MATCH (old:Reversal {row_hash: row.row_hash})
WITH row WHERE old IS NULL
MATCH (c:Claim {claim_id: row.claim_id})
CREATE (r:Reversal)
SET r = row
CREATE (r)-[:REVERSES]->(c)
SET c.total_cents = c.total_cents + row.total_cents,
  c.fund_cents = c.fund_cents + coalesce(row.fund_cents, 0),
  c.account_cents = c.account_cents + coalesce(row.account_cents, 0),
  c.cash_cents = c.cash_cents + coalesce(row.cash_cents, 0)
FOREACH (p IN [(c)-[:BY]->(p:Person) | p] | SET p:AggregatesStale)
FOREACH (d IN [(c)-[:TREATED_BY]->(d:Doctor) | d] | SET d:AggregatesStale)
RETURN count(r) AS written
