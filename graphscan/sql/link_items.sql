-- The item links of the claim item lines stored from row $start on: one (claim, item_row)
-- pair per line, claim being DuckDB's hash of its claim id and item_row its rowid (item
-- lines are only ever appended, see EmbeddedStore._link). Written sorted by claim, so
-- that each row group of item_links holds a narrow range of hashes and a lookup's
-- min-max zone maps skip all the others (see evidence_items.sql).
INSERT INTO item_links
SELECT hash(claim_id), rowid FROM claim_items WHERE rowid >= $start
ORDER BY 1
