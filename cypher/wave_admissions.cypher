// Twin of graphscan/sql/wave_admissions.sql: same parameters ($since, $until,
// $provider_id), columns and order; days as in admission_waves.
MATCH (c:Claim {provider_id: $provider_id})
WHERE c.kind = 'inpatient'
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
OPTIONAL MATCH (p:Person {person_id: c.person_id})
RETURN c.claim_id AS claim_id, c.person_id AS person_id,
  coalesce(c.card_id, c.person_id) AS card_id,
  duration.inDays(date('1970-01-01'), date(c.start_time)).days AS day,
  c.doctor_id AS doctor_id, c.diagnosis_code AS diagnosis_code, c.total_cents / 100.0 AS total_amount,
  CASE WHEN c.end_time IS NOT NULL
    THEN duration.inDays(date(c.start_time), date(c.end_time)).days END AS stay_days,
  p.address_key AS address_key, p.phone_key AS phone_key
ORDER BY day, person_id, claim_id
