-- Card lending null model: how many bursts of each size (distinct cards) every
-- (pharmacy, operator) had. The burst logic must match card_bursts.sql.
-- Parameters: $since, $until (TIMESTAMP or NULL), $gap_minutes (INTEGER)
-- Output columns:
--   provider_id, operator_id  the venue
--   size      BIGINT, distinct cards in the burst
--   bursts    BIGINT, how many bursts of the venue had that size
-- Order: provider_id, operator_id, size
WITH swipes AS (
    SELECT claim_id, provider_id, coalesce(operator_id, '') AS operator_id,
           coalesce(card_id, person_id) AS card_id,
           start_time
    FROM claims
    WHERE kind = 'pharmacy'
      AND ($since IS NULL OR start_time >= $since)
      AND ($until IS NULL OR start_time <= $until)
), marked AS (
    SELECT *,
           CASE WHEN start_time - lag(start_time) OVER venue <= to_minutes($gap_minutes)
                THEN 0 ELSE 1 END AS opens
    FROM swipes
    WINDOW venue AS (PARTITION BY provider_id, operator_id ORDER BY start_time)
), bursts AS (
    -- RANGE frame: swipes in the same second share a burst whatever their order, so the
    -- numbering is deterministic without a tie-breaker
    SELECT *,
           sum(opens) OVER (PARTITION BY provider_id, operator_id ORDER BY start_time) AS burst
    FROM marked
), sized AS (
    SELECT provider_id, operator_id, burst, count(DISTINCT card_id) AS size
    FROM bursts GROUP BY provider_id, operator_id, burst
)
SELECT provider_id, operator_id, size, count(*) AS bursts
FROM sized
GROUP BY provider_id, operator_id, size
ORDER BY provider_id, operator_id, size
