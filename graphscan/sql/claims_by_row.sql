-- claims_by_id for the claim rowids registered as _rows (what neighbourhood_step found):
-- the same columns and order, reading only the row groups that hold them.
SELECT c.*, l.file_sha256, pv.name AS provider_name, pv.kind AS provider_kind
FROM claims c
LEFT JOIN loads l ON l.load_id = c.load_id
LEFT JOIN providers pv ON pv.provider_id = c.provider_id
WHERE c.rowid IN (SELECT claim_row FROM _rows)
ORDER BY c.start_time, c.claim_id
