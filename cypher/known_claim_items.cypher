// Stored keys and row_hash among $keys: tells an exact re-load from a conflicting one.
// item_key too: the store skips stored items by it without building it again.
UNWIND $keys AS key
MATCH (n:ClaimItem {item_key: key})
RETURN n.claim_id AS claim_id, n.item_code AS item_code, n.line_no AS line_no,
  n.row_hash AS row_hash, n.item_key AS item_key
