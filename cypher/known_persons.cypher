// Stored keys and row_hash among $keys: tells an exact re-load from a conflicting one.
UNWIND $keys AS key
MATCH (n:Person {person_id: key}) WHERE n.listed
RETURN n.person_id AS person_id, n.row_hash AS row_hash
