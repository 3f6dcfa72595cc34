// Claim items stored before items had line numbers (key "claim_id|item_code", no line_no)
// get the key they have now: each was the only line kept of its claim and item code, so it
// is line $line_no (as in the embedded store's migration). An old item whose line was stored
// again since under the new key is the same line twice: the newer node stays, the old goes.
// Runs once per database (the GraphscanState marker), as part of the schema step.
// Parameters: $line_no (VARCHAR, the line an old item becomes), $migration (marker name)
OPTIONAL MATCH (done:GraphscanState {name: $migration})
WITH done WHERE done IS NULL
MATCH (old:ClaimItem) WHERE old.line_no IS NULL
CALL (old) {
  OPTIONAL MATCH (again:ClaimItem {item_key: old.item_key + '|' + $line_no})
  FOREACH (_ IN CASE WHEN again IS NULL THEN [1] ELSE [] END |
    SET old.item_key = old.item_key + '|' + $line_no, old.line_no = $line_no)
  FOREACH (_ IN CASE WHEN again IS NULL THEN [] ELSE [1] END | DETACH DELETE old)
} IN TRANSACTIONS OF 10000 ROWS;
MERGE (:GraphscanState {name: $migration})
