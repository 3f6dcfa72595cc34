-- Card lending null model: how many bursts of each size (distinct cards) every
-- (pharmacy, operator) counter had; bursts from the pharmacy_bursts macro (macros.sql),
-- as in card_bursts.sql.
-- Parameters: $since, $until (TIMESTAMP or NULL), $first_provider, $last_provider (VARCHAR:
--             the pharmacies read, NULL for all; see the macro), $gap_minutes,
--             $stranger_bursts (INTEGER)
-- Output columns:
--   provider_id, operator_id  the venue
--   size      BIGINT, distinct cards in the burst
--   bursts    BIGINT, how many bursts of the venue had that size
--   strangers BIGINT, cards in those bursts seen in at most $stranger_bursts bursts of the
--             venue (summed over the bursts): how common strangers are at the counter
-- Order: provider_id, operator_id, size
WITH visits AS MATERIALIZED (
    -- one row per card and burst: the counts below need no DISTINCT
    SELECT provider_id, operator_id, venue, burst, card_id
    FROM pharmacy_bursts($since, $until, $gap_minutes, false, $first_provider, $last_provider) GROUP BY ALL
), per_card AS (
    SELECT venue, card_id, count(*) AS card_bursts FROM visits GROUP BY ALL
), sized AS (
    SELECT v.venue, v.burst, count(*) AS size,
           count(*) FILTER (WHERE k.card_bursts <= $stranger_bursts) AS strangers
    FROM visits v JOIN per_card k USING (venue, card_id)
    GROUP BY ALL
), venues AS (
    SELECT DISTINCT venue, provider_id, operator_id FROM visits
)
SELECT n.provider_id, n.operator_id, z.size, count(*) AS bursts, sum(z.strangers) AS strangers
FROM sized z JOIN venues n USING (venue)
GROUP BY n.venue, n.provider_id, n.operator_id, z.size
ORDER BY n.venue, z.size
