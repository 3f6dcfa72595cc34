// Twin of graphscan/sql/prescription_flow_claims.sql: same parameters ($since, $until,
// $high_value, $doctors, $pharmacies), columns and order. Amounts come from integer fen and
// are compared in yuan as DuckDB compares a DECIMAL with a DOUBLE.
MATCH (c:Claim)
WHERE c.doctor_id IN $doctors AND c.kind = 'pharmacy' AND c.provider_id IN $pharmacies
  AND c.total_cents / 100.0 >= $high_value
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
RETURN c.claim_id AS claim_id, c.doctor_id AS doctor_id, c.provider_id AS pharmacy_id,
  c.person_id AS person_id, coalesce(c.card_id, c.person_id) AS card_id,
  c.total_cents / 100.0 AS total_amount
ORDER BY doctor_id, pharmacy_id, person_id, claim_id
