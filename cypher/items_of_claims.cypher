// The drugs, services and materials behind a set of claims ($claim_ids), most money
// first: what the workbench shows beside a case or a neighbourhood.
UNWIND $claim_ids AS id
MATCH (:Claim {claim_id: id})-[:HAS_ITEM]->(i:ClaimItem)
WITH i.item_kind AS item_kind, i.item_code AS item_code, i.item_name AS item_name,
     count(DISTINCT i.claim_id) AS claims, sum(toFloat(i.quantity)) AS quantity,
     sum(i.amount_cents) / 100.0 AS amount
RETURN item_kind, item_code, item_name, claims, quantity, amount
ORDER BY amount DESC, item_code
LIMIT 100
