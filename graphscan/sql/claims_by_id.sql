-- Canonical claim rows with lineage for the ids registered as _ids, in time order.
SELECT c.*
FROM claims c SEMI JOIN _ids i ON c.claim_id = i.claim_id
ORDER BY c.start_time, c.claim_id
