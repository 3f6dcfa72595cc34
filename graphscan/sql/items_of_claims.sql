-- The drugs, services and materials behind a set of claims ($claim_ids), most money
-- first: what the workbench shows beside a case or a neighbourhood.
SELECT item_kind, item_code, item_name, count(DISTINCT claim_id) AS claims,
       CAST(sum(quantity) AS DOUBLE) AS quantity, CAST(sum(amount) AS DOUBLE) AS amount
FROM claim_items
WHERE claim_id IN (SELECT unnest($claim_ids))
GROUP BY item_kind, item_code, item_name
ORDER BY amount DESC, item_code
LIMIT 100
