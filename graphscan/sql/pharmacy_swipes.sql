-- How many swipes each pharmacy made in the window, in provider_id order: where the
-- embedded store cuts a read per pharmacy into ranges of pharmacies (pharmacy_bursts'
-- first_provider / last_provider in macros.sql) of bounded size.
-- Parameters: $since, $until (TIMESTAMP or NULL)
-- Output columns:
--   provider_id  a pharmacy
--   swipes       BIGINT, its pharmacy claims in the window
-- Order: provider_id
SELECT provider_id, count(*) AS swipes
FROM claims
WHERE kind = 'pharmacy'
  AND ($since IS NULL OR start_time >= $since) AND ($until IS NULL OR start_time <= $until)
GROUP BY provider_id
ORDER BY provider_id
