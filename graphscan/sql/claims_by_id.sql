-- Canonical claim rows with lineage for the ids registered as _ids, in time order, with
-- the SHA-256 of the source file each came from (recorded when it was loaded) and the
-- provider's name (public: designated institutions and pharmacies) and kind (listed, or
-- derived from the claims at load; graphscan.schema.provider_member_kinds), for evidence.
-- claim_links finds the rows (see link_claims.sql), the ids are then compared exactly.
SELECT c.*, l.file_sha256, pv.name AS provider_name, pv.kind AS provider_kind
FROM claims c
LEFT JOIN loads l ON l.load_id = c.load_id
LEFT JOIN providers pv ON pv.provider_id = c.provider_id
WHERE c.rowid IN (SELECT claim_row FROM claim_links
                  WHERE entity IN (SELECT hash(claim_id) FROM _ids))
  AND c.claim_id IN (SELECT claim_id FROM _ids)
ORDER BY c.start_time, c.claim_id
