// Claim items not stored yet become a :ClaimItem (key "claim_id|item_code|line_no")
// linked from its claim when that claim is stored. Amounts in integer fen (amount_cents); quantity
// and unit_price keep their 4 decimals as decimal strings.
UNWIND $rows AS row
OPTIONAL MATCH (old:ClaimItem {item_key: row.item_key})
WITH row WHERE old IS NULL
CREATE (i:ClaimItem {item_key: row.item_key})
SET i += row
WITH i, row
OPTIONAL MATCH (c:Claim {claim_id: row.claim_id})
FOREACH (claim IN CASE WHEN c IS NULL THEN [] ELSE [c] END | CREATE (claim)-[:HAS_ITEM]->(i))
RETURN count(i) AS written
