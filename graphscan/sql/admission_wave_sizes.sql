-- Group hospitalisation null model: distinct persons admitted on each day at every
-- institution; summed over institutions it is the city's season (weekdays, winter peak,
-- holidays) over which independent admissions are spread. Days as in admission_waves.sql.
-- Parameters: $since, $until (TIMESTAMP or NULL)
-- Output columns:
--   provider_id  the institution
--   day          BIGINT, days since 1970-01-01
--   admissions   BIGINT, distinct persons admitted that day
-- Order: provider_id, day
SELECT provider_id,
       date_diff('day', DATE '1970-01-01', CAST(start_time AS DATE)) AS day,
       count(DISTINCT person_id) AS admissions
FROM claims
WHERE kind = 'inpatient'
  AND ($since IS NULL OR start_time >= $since)
  AND ($until IS NULL OR start_time <= $until)
GROUP BY provider_id, day
ORDER BY provider_id, day
