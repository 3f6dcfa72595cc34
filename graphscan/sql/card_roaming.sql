-- Card lending across outlets: the swipes of cards that travel, for the search for the same
-- set of cards moving together across pharmacies and days (a broker carrying a bag of
-- cards). A swipe is far when the holder's region (persons.region_code) and the pharmacy's
-- differ in their first region_digits characters. Travellers: cards with at least
-- $min_bursts far bursts at two or more pharmacies. Bursts from the pharmacy_bursts macro
-- (macros.sql) cut per calendar day, kept only on the days a counter swiped two or more
-- travellers far from home: that is all the search needs.
-- The embedded store reads it in three steps, so that the bursts are cut one range of
-- pharmacies at a time: card_roaming_screened.sql (cards with $min_bursts far swipes at two
-- or more pharmacies, registered as _screened), card_roaming_bursts.sql per range (their
-- far swipes in bursts, with burst sizes and swipes per counter: _roaming_far), then this
-- statement: which of those cards travel, and the bursts holding two or more of them.
-- Parameters: $min_bursts (INTEGER) here; the projection as a whole also takes since,
--             until (TIMESTAMP or NULL), gap_minutes and region_digits (INTEGER), which
--             the steps before read
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
WITH travellers AS (
    SELECT card_id
    FROM (SELECT DISTINCT card_id, provider_id, operator_id, day, burst FROM _roaming_far)
    GROUP BY card_id
    HAVING count(*) >= $min_bursts AND count(DISTINCT provider_id) >= 2
), shared AS (
    SELECT provider_id, operator_id, day, burst
    FROM _roaming_far SEMI JOIN travellers USING (card_id)
    GROUP BY provider_id, operator_id, day, burst HAVING count(DISTINCT card_id) >= 2
)
SELECT f.provider_id, f.operator_id, f.day, f.burst, f.card_id, f.person_id, h.address_key,
       f.claim_id, f.card_swipes, f.burst_cards
FROM _roaming_far f
SEMI JOIN travellers USING (card_id)
SEMI JOIN shared USING (provider_id, operator_id, day, burst)
LEFT JOIN persons h ON h.person_id = f.person_id
ORDER BY f.provider_id, f.operator_id, f.day, f.burst, f.card_id, f.claim_id
