// Stored keys and row_hash among $keys: tells an exact re-load from a conflicting one.
UNWIND $keys AS key
MATCH (n:Claim {claim_id: key})
RETURN n.claim_id AS claim_id, n.row_hash AS row_hash
