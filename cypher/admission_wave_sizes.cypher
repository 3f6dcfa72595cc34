// Twin of graphscan/sql/admission_wave_sizes.sql: same parameters ($since, $until,
// $wave_days), columns and order. The wave logic must match admission_waves.cypher.
MATCH (c:Claim {kind: 'inpatient'})
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH c.provider_id AS provider_id,
  duration.inDays(date('1970-01-01'), date(c.start_time)).days / $wave_days AS wave,
  count(DISTINCT c.person_id) AS size
RETURN provider_id, size, count(*) AS waves
ORDER BY provider_id, size
