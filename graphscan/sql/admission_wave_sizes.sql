-- Group hospitalisation null model: how many waves of each size (distinct persons admitted)
-- every institution had. The wave logic must match admission_waves.sql.
-- Parameters: $since, $until (TIMESTAMP or NULL), $wave_days (INTEGER)
-- Output columns:
--   provider_id  the institution
--   size         BIGINT, distinct persons admitted in the wave
--   waves        BIGINT, how many waves of the institution had that size
-- Order: provider_id, size
WITH sized AS (
    SELECT provider_id,
           date_diff('day', DATE '1970-01-01', CAST(start_time AS DATE)) // $wave_days AS wave,
           count(DISTINCT person_id) AS size
    FROM claims
    WHERE kind = 'inpatient'
      AND ($since IS NULL OR start_time >= $since)
      AND ($until IS NULL OR start_time <= $until)
    GROUP BY provider_id, wave
)
SELECT provider_id, size, count(*) AS waves
FROM sized
GROUP BY provider_id, size
ORDER BY provider_id, size
