// Twin of graphscan/sql/drug_purchases.sql: same parameters ($since, $until, $high_value),
// columns and order. Quantities are stored as decimal text, amounts as integer fen.
MATCH (c:Claim {kind: 'pharmacy'})-[:HAS_ITEM]->(i:ClaimItem {item_kind: 'drug'})
WHERE i.amount_cents / 100.0 >= $high_value AND toFloat(i.quantity) > 0
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
RETURN c.person_id AS person_id, coalesce(c.card_id, c.person_id) AS card_id,
  i.item_code AS item_code, c.claim_id AS claim_id, c.provider_id AS pharmacy_id,
  c.doctor_id AS doctor_id, c.start_time AS start_time, toFloat(i.quantity) AS quantity
ORDER BY person_id, item_code, start_time, claim_id
