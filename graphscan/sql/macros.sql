-- Macros the projections share, defined on every connection of the embedded store (one
-- definition per rule: the Cypher twins share theirs in the same words, see
-- cypher/card_bursts.cypher).
--
-- pharmacy_bursts(since, until, gap_minutes, per_day): every pharmacy swipe in the window
-- with its venue and burst. The venue is the (pharmacy, operator) counter; without an
-- operator the pharmacy itself (operator_id ''). A burst opens when the venue's previous
-- swipe is more than gap_minutes earlier; with per_day, venues are cut per calendar day
-- (bursts numbered within the day). The RANGE frame gives swipes in the same second the
-- same burst whatever their order, so numbering is deterministic without a tie-breaker.
-- Columns: claim_id, provider_id, operator_id, card_id (person_id when the claim has no
-- card), person_id, start_time, day (VARCHAR YYYY-MM-DD), burst (BIGINT, 1, 2, ...).
CREATE OR REPLACE TEMP MACRO pharmacy_bursts(since, until, gap_minutes, per_day) AS TABLE
WITH swipes AS (
    SELECT claim_id, provider_id, coalesce(operator_id, '') AS operator_id,
           coalesce(card_id, person_id) AS card_id, person_id, start_time,
           strftime(start_time, '%Y-%m-%d') AS day,
           CASE WHEN per_day THEN strftime(start_time, '%Y-%m-%d') ELSE '' END AS part
    FROM claims
    WHERE kind = 'pharmacy'
      AND (since IS NULL OR start_time >= since)
      AND (until IS NULL OR start_time <= until)
), marked AS (
    SELECT *,
           CASE WHEN start_time - lag(start_time) OVER venue <= to_minutes(gap_minutes)
                THEN 0 ELSE 1 END AS opens
    FROM swipes
    WINDOW venue AS (PARTITION BY provider_id, operator_id, part ORDER BY start_time)
)
SELECT claim_id, provider_id, operator_id, card_id, person_id, start_time, day,
       sum(opens) OVER (PARTITION BY provider_id, operator_id, part ORDER BY start_time)
           AS burst
FROM marked;

-- provider_region(provider_id, region_code): a provider's region, from the providers table
-- or, where that is missing, from the provider's national code (H or P, the 6-digit
-- county region, a sequence: 国家医疗保障信息业务编码标准); NULL when neither says.
CREATE OR REPLACE TEMP MACRO provider_region(provider_id, region_code) AS
    coalesce(nullif(region_code, ''),
             CASE WHEN regexp_full_match(provider_id, '[HP][0-9]{6}.*')
                  THEN substr(provider_id, 2, 6) END);
