// Twin of graphscan/sql/admission_waves.sql: same parameters ($since, $until, $wave_days,
// $min_waves), columns and order. day = days since 1970-01-01; an admission day starts an
// episode when no other admission day of the person there lies fewer than $wave_days days
// before it (what the SQL's lag() gap test counts); stay_days counts calendar-day
// boundaries like DuckDB's date_diff('day').
MATCH (c:Claim {kind: 'inpatient'})
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH c, duration.inDays(date('1970-01-01'), date(c.start_time)).days AS day
WITH c.provider_id AS provider_id, c.person_id AS person_id,
  collect(DISTINCT day) AS days, collect({c: c, day: day}) AS stays
WITH provider_id, person_id, stays,
  size([d IN days WHERE none(e IN days WHERE e < d AND d - e < $wave_days)]) AS person_waves
WHERE person_waves >= $min_waves
UNWIND stays AS s
WITH provider_id, person_id, person_waves, s.c AS c, s.day AS day
OPTIONAL MATCH (p:Person {person_id: person_id})
RETURN provider_id, day, person_id, coalesce(c.card_id, person_id) AS card_id,
  p.address_key AS address_key, p.phone_key AS phone_key,
  c.claim_id AS claim_id, c.doctor_id AS doctor_id, c.diagnosis_code AS diagnosis_code,
  c.total_cents / 100.0 AS total_amount,
  CASE WHEN c.end_time IS NOT NULL
    THEN duration.inDays(date(c.start_time), date(c.end_time)).days END AS stay_days,
  person_waves
ORDER BY provider_id, day, person_id, claim_id
