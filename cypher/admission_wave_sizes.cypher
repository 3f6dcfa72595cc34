// Twin of graphscan/sql/admission_wave_sizes.sql: same parameters ($since, $until), columns
// and order. Days as in admission_waves.cypher.
MATCH (c:Claim {kind: 'inpatient'})
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH c.provider_id AS provider_id,
  duration.inDays(date('1970-01-01'), date(c.start_time)).days AS day,
  count(DISTINCT c.person_id) AS admissions
RETURN provider_id, day, admissions
ORDER BY provider_id, day
