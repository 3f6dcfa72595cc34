// Stored keys and row_hash among $keys: tells an exact re-load from a conflicting one.
UNWIND $keys AS key
MATCH (n:Provider {provider_id: key}) WHERE n.listed
RETURN n.provider_id AS provider_id, n.row_hash AS row_hash
