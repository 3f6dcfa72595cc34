// Twin of graphscan/sql/inpatient_price_spread.sql: same parameters ($since, $until,
// $similar_bill), columns and order.
MATCH (c:Claim {kind: 'inpatient'})
WHERE c.total_cents > 0
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH c.provider_id AS provider_id, c.person_id AS person_id, collect(c) AS stays
WHERE size(stays) = 1
WITH provider_id, coalesce(stays[0].diagnosis_code, '') AS dx,
  collect(stays[0].total_cents / 100.0) AS amounts
UNWIND amounts AS amount
WITH provider_id, dx, amounts, percentileCont(amount, 0.5) AS centre
RETURN provider_id, CASE dx WHEN '' THEN null ELSE dx END AS diagnosis_code,
  size(amounts) AS stays,
  size([a IN amounts WHERE abs(a - centre) <= $similar_bill * centre]) AS near
ORDER BY provider_id, diagnosis_code
