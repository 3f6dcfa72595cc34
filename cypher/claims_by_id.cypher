// Canonical claim rows with lineage for the given ids, in time order.
UNWIND $claim_ids AS id
MATCH (c:Claim {claim_id: id})
RETURN c {.*} AS claim
ORDER BY c.start_time, c.claim_id
