// Twin of graphscan/sql/admission_waves.sql: same parameters ($since, $until, $wave_days,
// $min_waves), columns and order. wave = days since 1970-01-01 integer-divided by
// $wave_days; stay_days counts calendar-day boundaries like DuckDB's date_diff('day').
MATCH (c:Claim {kind: 'inpatient'})
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH c, duration.inDays(date('1970-01-01'), date(c.start_time)).days / $wave_days AS wave
WITH c.provider_id AS provider_id, c.person_id AS person_id,
  count(DISTINCT wave) AS person_waves, collect({c: c, wave: wave}) AS stays
UNWIND stays AS s
WITH provider_id, s.wave AS wave, count(DISTINCT person_id) AS wave_persons,
  count(DISTINCT CASE WHEN person_waves >= $min_waves THEN person_id END) AS persons,
  collect({c: s.c, person_id: person_id, person_waves: person_waves}) AS rows
WHERE persons >= 2
UNWIND rows AS r
WITH provider_id, wave, wave_persons, r WHERE r.person_waves >= $min_waves
WITH provider_id, wave, wave_persons, r.c AS c, r.person_id AS person_id,
  r.person_waves AS person_waves
OPTIONAL MATCH (p:Person {person_id: person_id})
RETURN provider_id, wave, person_id, coalesce(c.card_id, person_id) AS card_id,
  p.address_key AS address_key, p.phone_key AS phone_key,
  c.claim_id AS claim_id, c.doctor_id AS doctor_id, c.diagnosis_code AS diagnosis_code,
  c.total_cents / 100.0 AS total_amount,
  CASE WHEN c.end_time IS NOT NULL
    THEN duration.inDays(date(c.start_time), date(c.end_time)).days END AS stay_days,
  person_waves, wave_persons
ORDER BY provider_id, wave, person_id, claim_id
