-- Card lending: pharmacy swipes cut into bursts per (pharmacy, operator), or per pharmacy
-- where no operator is recorded (pharmacy_bursts in macros.sql). Only the bursts of at
-- most $max_burst_cards cards that hold two or more cards seen in at least $min_bursts
-- bursts of the venue, or $min_strangers or more cards seen in at most $stranger_bursts
-- (a crowd of strangers: a broker's session), with all their swipes (a member seen once
-- or twice is there beside the repeat cards). Bursts
-- larger than that are rush hours: they stay in the null model (card_burst_sizes) but
-- are never searched, which bounds the pairs per burst; a stack swiped only inside such
-- crowds is missed. Bursts: the pharmacy_bursts macro (macros.sql).
-- Parameters: $since, $until (TIMESTAMP or NULL), $gap_minutes, $min_bursts,
--             $max_burst_cards, $stranger_bursts, $min_strangers (INTEGER)
-- Output columns:
--   provider_id, operator_id  the venue
--   burst        BIGINT, burst number within the venue (1, 2, ... in time order)
--   card_id      card swiped (person_id when the claim has no card)
--   person_id    whose card it is
--   address_key  the card holder's household key (NULL when unknown)
--   home_region  the card holder's region_code (NULL when unknown)
--   claim_id     the swipe
--   card_bursts  BIGINT, bursts of this card at this venue over the whole window (below
--                $min_bursts: a card seen beside the repeat cards)
--   burst_cards  BIGINT, distinct cards in this burst (all of them, not only repeat cards)
-- Order: provider_id, operator_id, burst, card_id, claim_id
WITH bursts AS (
    SELECT * FROM pharmacy_bursts($since, $until, $gap_minutes, false)
), per_card AS (
    SELECT provider_id, operator_id, card_id, count(DISTINCT burst) AS card_bursts
    FROM bursts GROUP BY provider_id, operator_id, card_id
), sized AS (
    SELECT provider_id, operator_id, burst, count(DISTINCT card_id) AS burst_cards
    FROM bursts GROUP BY provider_id, operator_id, burst
), shared AS (
    SELECT b.provider_id, b.operator_id, b.burst
    FROM bursts b
    JOIN per_card k USING (provider_id, operator_id, card_id)
    JOIN sized z USING (provider_id, operator_id, burst)
    WHERE z.burst_cards <= $max_burst_cards
    GROUP BY b.provider_id, b.operator_id, b.burst
    HAVING count(DISTINCT CASE WHEN k.card_bursts >= $min_bursts THEN b.card_id END) >= 2
        OR count(DISTINCT CASE WHEN k.card_bursts <= $stranger_bursts THEN b.card_id END)
           >= $min_strangers
)
SELECT b.provider_id, b.operator_id, b.burst, b.card_id, b.person_id, p.address_key,
       p.region_code AS home_region, b.claim_id, k.card_bursts, z.burst_cards
FROM bursts b
SEMI JOIN shared s USING (provider_id, operator_id, burst)
JOIN per_card k USING (provider_id, operator_id, card_id)
JOIN sized z USING (provider_id, operator_id, burst)
LEFT JOIN persons p ON p.person_id = b.person_id
ORDER BY b.provider_id, b.operator_id, b.burst, b.card_id, b.claim_id
