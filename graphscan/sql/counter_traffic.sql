-- What card lending's pair counting can hold at once, before a scan starts: per pharmacy
-- counter (pharmacy, operator; the pharmacy alone where no operator is recorded, as in
-- pharmacy_bursts of macros.sql), its swipes and a bound on the card pairs its bursts
-- make. A burst of k cards makes k(k-1)/2 pairs and bursts over $max_burst_cards are
-- never searched, so the bursts of a day with n swipes make at most
-- n (min(n, $max_burst_cards) - 1) / 2 pairs; the counter's bound sums its days.
-- Parameters: $since, $until (TIMESTAMP or NULL), $max_burst_cards (INTEGER)
-- Output columns:
--   provider_id, operator_id  the counter
--   swipes      BIGINT, its pharmacy swipes in the window
--   busiest_day BIGINT, its most swipes in one day
--   pair_bound  BIGINT, the bound on pair meetings above
-- Order: pair_bound descending, provider_id, operator_id
WITH days AS (
    SELECT provider_id, coalesce(operator_id, '') AS operator_id,
           CAST(start_time AS DATE) AS day, count(*) AS n
    FROM claims
    WHERE kind = 'pharmacy'
      AND ($since IS NULL OR start_time >= $since) AND ($until IS NULL OR start_time <= $until)
    GROUP BY ALL
)
SELECT provider_id, operator_id, sum(n) AS swipes, max(n) AS busiest_day,
       sum(n * (least(n, $max_burst_cards) - 1)) // 2 AS pair_bound
FROM days
GROUP BY provider_id, operator_id
ORDER BY pair_bound DESC, provider_id, operator_id
