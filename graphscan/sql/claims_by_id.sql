-- Canonical claim rows with lineage for the ids registered as _ids, in time order, with
-- the SHA-256 of the source file each came from (recorded when it was loaded).
SELECT c.*, l.file_sha256
FROM claims c LEFT JOIN loads l ON l.load_id = c.load_id
WHERE c.claim_id IN (SELECT claim_id FROM _ids)
ORDER BY c.start_time, c.claim_id
