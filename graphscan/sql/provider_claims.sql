-- How many claims each provider settled in the window, in provider_id order: where the
-- embedded store cuts a read per provider (card_conflicts.sql's first_provider /
-- last_provider) into ranges of providers of bounded size.
-- Parameters: $since, $until (TIMESTAMP or NULL)
-- Output columns:
--   provider_id  a provider
--   claims       BIGINT, its claims in the window
-- Order: provider_id
SELECT provider_id, count(*) AS claims
FROM claims
WHERE ($since IS NULL OR start_time >= $since) AND ($until IS NULL OR start_time <= $until)
GROUP BY provider_id
ORDER BY provider_id
