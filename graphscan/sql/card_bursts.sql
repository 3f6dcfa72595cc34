-- Card lending: pharmacy swipes cut into bursts per (pharmacy, operator), or per pharmacy
-- where no operator is recorded (pharmacy_bursts in macros.sql). Only the bursts of at
-- most $max_burst_cards cards that hold two or more cards seen in at least $min_bursts
-- bursts of the venue, or $min_strangers or more cards seen in at most $stranger_bursts
-- (a crowd of strangers: a broker's session), with all their swipes (a member seen once
-- or twice is there beside the repeat cards). Bursts
-- larger than that are rush hours: they stay in the null model (card_burst_sizes) but
-- are never searched, which bounds the pairs per burst; a stack swiped only inside such
-- crowds is missed. Bursts: the pharmacy_bursts macro (macros.sql).
-- Parameters: $since, $until (TIMESTAMP or NULL), $first_provider, $last_provider (VARCHAR:
--             the pharmacies read, NULL for all; see the macro), $gap_minutes, $min_bursts,
--             $max_burst_cards, $stranger_bursts, $min_strangers (INTEGER)
-- Output columns:
--   provider_id, operator_id  the venue
--   burst        BIGINT, burst number within the venue (1, 2, ... in time order)
--   card_id      card swiped (person_id when the claim has no card)
--   person_id    whose card it is
--   address_key  the card holder's household key (NULL when unknown)
--   home_region  the card holder's region_code (NULL when unknown)
--   claim_id     the swipe
--   start_time   TIMESTAMP, when it was swiped
--   card_bursts  BIGINT, bursts of this card at this venue over the whole window (below
--                $min_bursts: a card seen beside the repeat cards)
--   burst_cards  BIGINT, distinct cards in this burst (all of them, not only repeat cards)
-- Order: provider_id, operator_id, burst, card_id, claim_id
WITH bursts AS MATERIALIZED (
    SELECT * FROM pharmacy_bursts($since, $until, $gap_minutes, false, $first_provider, $last_provider)
), visits AS MATERIALIZED (
    -- one row per card and burst: the counts below need no DISTINCT
    SELECT venue, burst, card_id FROM bursts GROUP BY ALL
), per_card AS (
    SELECT venue, card_id, count(*) AS card_bursts FROM visits GROUP BY ALL
), sized AS (
    SELECT venue, burst, count(*) AS burst_cards FROM visits GROUP BY ALL
), shared AS (
    SELECT v.venue, v.burst
    FROM visits v
    JOIN per_card k USING (venue, card_id)
    JOIN sized z USING (venue, burst)
    WHERE z.burst_cards <= $max_burst_cards
    GROUP BY v.venue, v.burst
    HAVING count(*) FILTER (WHERE k.card_bursts >= $min_bursts) >= 2
        OR count(*) FILTER (WHERE k.card_bursts <= $stranger_bursts) >= $min_strangers
)
SELECT b.provider_id, b.operator_id, b.burst, b.card_id, b.person_id, p.address_key,
       p.region_code AS home_region, b.claim_id, b.start_time,
       k.card_bursts, z.burst_cards
FROM bursts b
SEMI JOIN shared s USING (venue, burst)
JOIN per_card k USING (venue, card_id)
JOIN sized z USING (venue, burst)
LEFT JOIN persons p ON p.person_id = b.person_id
ORDER BY b.venue, b.burst, b.card_id, b.claim_id
