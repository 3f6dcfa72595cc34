// New claim items become a :ClaimItem (key "claim_id|item_code|line_no") linked from its
// claim when that claim is stored. The store leaves out the keys already stored, in the
// same transaction (Neo4jStore._write_new), so this statement only creates (see
// upsert_claims). The claim is looked up before the item is created, so the read does
// not wait on the writes. Amounts in integer fen (amount_cents); quantity and unit_price
// keep their 4 decimals as decimal strings.
UNWIND $rows AS row
OPTIONAL MATCH (c:Claim {claim_id: row.claim_id})
CREATE (i:ClaimItem {item_key: row.item_key})
SET i += row
FOREACH (claim IN CASE WHEN c IS NULL THEN [] ELSE [c] END | CREATE (claim)-[:HAS_ITEM]->(i))
RETURN count(i) AS written
