// Twin of graphscan/sql/wave_admissions.sql: same parameters ($since, $until,
// $provider_id, $wave_days), columns and order; waves numbered as in admission_waves.
MATCH (c:Claim {provider_id: $provider_id})
WHERE c.kind = 'inpatient'
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
RETURN c.claim_id AS claim_id, c.person_id AS person_id,
  coalesce(c.card_id, c.person_id) AS card_id,
  duration.inDays(date('1970-01-01'), date(c.start_time)).days / $wave_days AS wave,
  c.diagnosis_code AS diagnosis_code, c.total_cents / 100.0 AS total_amount,
  CASE WHEN c.end_time IS NOT NULL
    THEN duration.inDays(date(c.start_time), date(c.end_time)).days END AS stay_days
ORDER BY wave, person_id, claim_id
