// Stored keys and row_hash among $keys: tells an exact re-load from a conflicting one.
UNWIND $keys AS key
MATCH (n:Doctor {doctor_id: key}) WHERE n.listed
RETURN n.doctor_id AS doctor_id, n.row_hash AS row_hash
