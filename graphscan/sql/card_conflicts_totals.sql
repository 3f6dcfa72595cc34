-- Identity misuse's figures of the whole window, read once before card_conflicts.sql
-- (which the embedded store reads in ranges of providers) and registered as
-- _conflict_totals: the share of one (provider, operator) pair in them is the pair's
-- expected share of the flagged cards.
-- Parameters: $since, $until (TIMESTAMP or NULL)
-- Output columns (one row):
--   all_cards    distinct cards each (provider, operator) pair served in the window, summed
--                over all pairs (card_id, else person_id; operator '' when unknown)
--   window_days  BIGINT, days from the window's first claim to its last
--   window_start DATE, the day of the window's first claim
--   deaths_known BOOLEAN, whether the persons table records any death
WITH c AS (
    SELECT provider_id, coalesce(operator_id, '') AS operator_id,
           coalesce(card_id, person_id) AS card_id, start_time
    FROM claims
    WHERE ($since IS NULL OR start_time >= $since) AND ($until IS NULL OR start_time <= $until)
), volume AS (
    -- distinct (pair, card) rows first, then counted: a plain grouping the engine spills,
    -- where a count(DISTINCT) per pair would hold every pair's cards at once
    SELECT provider_id, operator_id, count(*) AS operator_cards
    FROM (SELECT DISTINCT provider_id, operator_id, card_id FROM c)
    GROUP BY provider_id, operator_id
)
SELECT (SELECT sum(operator_cards) FROM volume) AS all_cards,
       (SELECT date_diff('day', min(CAST(start_time AS DATE)), max(CAST(start_time AS DATE))) + 1
        FROM c) AS window_days,
       (SELECT min(CAST(start_time AS DATE)) FROM c) AS window_start,
       (SELECT count(*) > 0 FROM persons WHERE death_date IS NOT NULL) AS deaths_known
