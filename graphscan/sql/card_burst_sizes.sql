-- Card lending null model: how many bursts of each size (distinct cards) every
-- (pharmacy, operator) counter had; bursts from the pharmacy_bursts macro (macros.sql),
-- as in card_bursts.sql.
-- Parameters: $since, $until (TIMESTAMP or NULL), $gap_minutes, $stranger_bursts (INTEGER)
-- Output columns:
--   provider_id, operator_id  the venue
--   size      BIGINT, distinct cards in the burst
--   bursts    BIGINT, how many bursts of the venue had that size
--   strangers BIGINT, cards in those bursts seen in at most $stranger_bursts bursts of the
--             venue (summed over the bursts): how common strangers are at the counter
-- Order: provider_id, operator_id, size
WITH bursts AS (
    SELECT * FROM pharmacy_bursts($since, $until, $gap_minutes, false)
), per_card AS (
    SELECT provider_id, operator_id, card_id, count(DISTINCT burst) AS card_bursts
    FROM bursts GROUP BY provider_id, operator_id, card_id
), sized AS (
    SELECT b.provider_id, b.operator_id, b.burst, count(DISTINCT b.card_id) AS size,
           count(DISTINCT CASE WHEN k.card_bursts <= $stranger_bursts THEN b.card_id END)
               AS strangers
    FROM bursts b JOIN per_card k USING (provider_id, operator_id, card_id)
    GROUP BY b.provider_id, b.operator_id, b.burst
)
SELECT provider_id, operator_id, size, count(*) AS bursts, sum(strangers) AS strangers
FROM sized
GROUP BY provider_id, operator_id, size
ORDER BY provider_id, operator_id, size
