// Twin of graphscan/sql/evidence_items.sql: same parameter ($claim_ids), columns and order.
// Quantities are stored as decimal text, amounts as integer fen.
MATCH (i:ClaimItem)
WHERE i.claim_id IN $claim_ids
RETURN i.claim_id AS claim_id, i.item_code AS item_code, i.item_name AS item_name,
  i.item_kind AS item_kind, toFloat(i.quantity) AS quantity, i.amount_cents / 100.0 AS amount
ORDER BY claim_id, item_code, item_name, quantity, amount
