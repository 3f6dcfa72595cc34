-- Card lending across outlets: the swipes of cards that travel, for the search for the same
-- set of cards moving together across pharmacies and days (a broker carrying a bag of
-- cards). A swipe is far when the holder's region (persons.region_code) and the pharmacy's
-- differ in their first $region_digits characters. Travellers: cards with at least
-- $min_bursts far bursts at two or more pharmacies. Bursts from the pharmacy_bursts macro
-- (macros.sql) cut per calendar day, kept only on the days a counter swiped two or more
-- travellers far from home: that is all the search needs.
-- Parameters: $since, $until (TIMESTAMP or NULL), $gap_minutes, $min_bursts,
--             $region_digits (INTEGER)
-- Output columns (only far swipes of travellers, in bursts holding two or more of them):
--   provider_id, operator_id  the venue
--   day          VARCHAR, the burst's calendar day (YYYY-MM-DD)
--   burst        BIGINT, burst number within the venue's day (1, 2, ... in time order)
--   card_id      card swiped (person_id when the claim has no card)
--   person_id    whose card it is
--   address_key  the card holder's household key (NULL when unknown)
--   claim_id     the swipe
--   card_swipes  BIGINT, swipes of this card at this venue over the whole window (an upper
--                bound of its bursts there, so the null model errs on the safe side)
--   burst_cards  BIGINT, distinct cards in this burst (all of them)
-- Order: provider_id, operator_id, day, burst, card_id, claim_id
WITH swipes AS MATERIALIZED (
    SELECT * FROM pharmacy_bursts($since, $until, $gap_minutes, true, NULL, NULL)
), far AS MATERIALIZED (
    -- joined one table at a time (LEFT, then filtered): never persons x providers first
    SELECT s.claim_id, s.provider_id, s.venue, s.card_id, s.day
    FROM swipes s
    LEFT JOIN persons h ON h.person_id = s.person_id
    LEFT JOIN providers v ON v.provider_id = s.provider_id
    WHERE left(h.region_code, $region_digits) <> left(v.region_code, $region_digits)
), screened AS (
    -- a card with $min_bursts far bursts has at least as many far swipes
    SELECT card_id FROM far GROUP BY card_id
    HAVING count(*) >= $min_bursts AND count(DISTINCT provider_id) >= 2
), venue_days AS (
    SELECT venue, day FROM far SEMI JOIN screened USING (card_id)
    GROUP BY venue, day HAVING count(DISTINCT card_id) >= 2
), bursts AS MATERIALIZED (
    SELECT * FROM swipes SEMI JOIN venue_days USING (venue, day)
), far_bursts AS MATERIALIZED (
    SELECT b.* FROM bursts b SEMI JOIN far USING (claim_id) SEMI JOIN screened USING (card_id)
), travellers AS (
    SELECT card_id FROM (SELECT DISTINCT card_id, provider_id, venue, day, burst FROM far_bursts)
    GROUP BY card_id
    HAVING count(*) >= $min_bursts AND count(DISTINCT provider_id) >= 2
), shared AS (
    SELECT venue, day, burst FROM far_bursts SEMI JOIN travellers USING (card_id)
    GROUP BY venue, day, burst HAVING count(DISTINCT card_id) >= 2
), sized AS (
    SELECT venue, day, burst, count(DISTINCT card_id) AS burst_cards
    FROM bursts SEMI JOIN shared USING (venue, day, burst)
    GROUP BY venue, day, burst
), per_card AS (
    SELECT venue, card_id, count(*) AS card_swipes
    FROM swipes SEMI JOIN travellers USING (card_id)
    GROUP BY venue, card_id
)
SELECT f.provider_id, f.operator_id, f.day, f.burst, f.card_id, f.person_id, h.address_key,
       f.claim_id, k.card_swipes, z.burst_cards
FROM far_bursts f
SEMI JOIN travellers USING (card_id)
JOIN sized z USING (venue, day, burst)
JOIN per_card k USING (venue, card_id)
LEFT JOIN persons h ON h.person_id = f.person_id
ORDER BY f.venue, f.day, f.burst, f.card_id, f.claim_id
