-- Card lending across outlets, second step of card_roaming.sql, per range of pharmacies
-- ($first_provider to $last_provider, NULL for all: pharmacy_bursts in macros.sql): the
-- far swipes of the screened cards (_screened, card_roaming_screened.sql) in their
-- bursts, cut per calendar day, on the days a counter swiped two or more of them far
-- from home, with each burst's size and each card's swipes at the counter. Which cards
-- travel (far bursts at two or more pharmacies) needs every range: card_roaming.sql.
-- Parameters: $since, $until (TIMESTAMP or NULL), $first_provider, $last_provider
--             (VARCHAR or NULL), $gap_minutes, $region_digits (INTEGER)
-- Output columns:
--   provider_id, operator_id, day, burst, card_id, person_id, claim_id  as card_roaming
--   card_swipes  BIGINT, swipes of this card at this venue over the whole window
--   burst_cards  BIGINT, distinct cards in this burst (all of them)
WITH swipes AS MATERIALIZED (
    SELECT * FROM pharmacy_bursts($since, $until, $gap_minutes, true, $first_provider,
                                  $last_provider)
), far AS MATERIALIZED (
    -- joined one table at a time (LEFT, then filtered): never persons x providers first
    SELECT s.claim_id, s.venue, s.card_id, s.day
    FROM swipes s
    SEMI JOIN _screened USING (card_id)
    LEFT JOIN persons h ON h.person_id = s.person_id
    LEFT JOIN providers v ON v.provider_id = s.provider_id
    WHERE left(h.region_code, $region_digits) <> left(v.region_code, $region_digits)
), venue_days AS (
    SELECT venue, day FROM far GROUP BY venue, day HAVING count(DISTINCT card_id) >= 2
), bursts AS MATERIALIZED (
    SELECT * FROM swipes SEMI JOIN venue_days USING (venue, day)
), far_bursts AS MATERIALIZED (
    SELECT b.* FROM bursts b SEMI JOIN far USING (claim_id)
), sized AS (
    SELECT venue, day, burst, count(DISTINCT card_id) AS burst_cards
    FROM bursts SEMI JOIN (SELECT DISTINCT venue, day, burst FROM far_bursts)
        USING (venue, day, burst)
    GROUP BY venue, day, burst
), per_card AS (
    SELECT venue, card_id, count(*) AS card_swipes
    FROM swipes SEMI JOIN (SELECT DISTINCT card_id FROM far_bursts) USING (card_id)
    GROUP BY venue, card_id
)
SELECT f.provider_id, f.operator_id, f.day, f.burst, f.card_id, f.person_id, f.claim_id,
       k.card_swipes, z.burst_cards
FROM far_bursts f
JOIN sized z USING (venue, day, burst)
JOIN per_card k USING (venue, card_id)
