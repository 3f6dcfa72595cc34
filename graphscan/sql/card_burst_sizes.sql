-- Card lending null model: how many bursts of each size (distinct cards) every
-- (pharmacy, operator) counter had; bursts from the pharmacy_bursts macro (macros.sql),
-- as in card_bursts.sql.
-- Parameters: $since, $until (TIMESTAMP or NULL), $gap_minutes (INTEGER)
-- Output columns:
--   provider_id, operator_id  the venue
--   size      BIGINT, distinct cards in the burst
--   bursts    BIGINT, how many bursts of the venue had that size
-- Order: provider_id, operator_id, size
WITH bursts AS (
    SELECT * FROM pharmacy_bursts($since, $until, $gap_minutes, false)
), sized AS (
    SELECT provider_id, operator_id, burst, count(DISTINCT card_id) AS size
    FROM bursts GROUP BY provider_id, operator_id, burst
)
SELECT provider_id, operator_id, size, count(*) AS bursts
FROM sized
GROUP BY provider_id, operator_id, size
ORDER BY provider_id, operator_id, size
