-- Card lending: pharmacy swipes cut into bursts per (pharmacy, operator). A burst opens when
-- the operator's previous swipe is more than $gap_minutes earlier. Only cards seen in at
-- least $min_bursts bursts of that operator, in bursts holding at least two such cards.
-- The burst logic must match card_burst_sizes.sql.
-- Parameters: $since, $until (TIMESTAMP or NULL), $gap_minutes (INTEGER), $min_bursts (INTEGER)
-- Output columns:
--   provider_id, operator_id  the venue
--   burst        BIGINT, burst number within the venue (1, 2, ... in time order)
--   card_id      card swiped (person_id when the claim has no card)
--   person_id    whose card it is
--   address_key  the card holder's household key (NULL when unknown)
--   claim_id     the swipe
--   card_bursts  BIGINT, bursts of this card at this venue over the whole window
--   burst_cards  BIGINT, distinct cards in this burst (all of them, not only repeat cards)
-- Order: provider_id, operator_id, burst, card_id, claim_id
WITH swipes AS (
    SELECT claim_id, provider_id, operator_id, coalesce(card_id, person_id) AS card_id,
           person_id, start_time
    FROM claims
    WHERE kind = 'pharmacy' AND operator_id IS NOT NULL
      AND ($since IS NULL OR start_time >= $since)
      AND ($until IS NULL OR start_time <= $until)
), marked AS (
    SELECT *,
           CASE WHEN start_time - lag(start_time) OVER venue <= to_minutes($gap_minutes)
                THEN 0 ELSE 1 END AS opens
    FROM swipes
    WINDOW venue AS (PARTITION BY provider_id, operator_id ORDER BY start_time, claim_id)
), bursts AS (
    SELECT *,
           sum(opens) OVER (PARTITION BY provider_id, operator_id ORDER BY start_time, claim_id
                            ROWS UNBOUNDED PRECEDING) AS burst
    FROM marked
), counted AS (
    SELECT *,
           count(DISTINCT burst) OVER (PARTITION BY provider_id, operator_id, card_id)
               AS card_bursts
    FROM bursts
), sized AS (
    SELECT *,
           count(DISTINCT card_id) OVER (PARTITION BY provider_id, operator_id, burst)
               AS burst_cards
    FROM counted
), repeat AS (
    SELECT * FROM sized WHERE card_bursts >= $min_bursts
), shared AS (
    SELECT *,
           count(DISTINCT card_id) OVER (PARTITION BY provider_id, operator_id, burst) AS cards
    FROM repeat
)
SELECT s.provider_id, s.operator_id, s.burst, s.card_id, s.person_id, p.address_key,
       s.claim_id, s.card_bursts, s.burst_cards
FROM shared s LEFT JOIN persons p ON p.person_id = s.person_id
WHERE s.cards >= 2
ORDER BY s.provider_id, s.operator_id, s.burst, s.card_id, s.claim_id
