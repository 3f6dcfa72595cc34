-- Group hospitalisation null model: how an ordinary inpatient at an institution is billed
-- for a diagnosis. Only people admitted there once count (a ring's recruits come back, a
-- flat-rate ward's one-time patients still show its flat rate); per institution and
-- diagnosis, how many such stays lie within $similar_bill of the stays' median bill.
-- Parameters: $since, $until (TIMESTAMP or NULL), $similar_bill (DOUBLE)
-- Output columns:
--   provider_id     the institution
--   diagnosis_code  NULL when not recorded (such stays form one cell per institution)
--   stays           BIGINT, one-time inpatients' stays in the cell
--   near            BIGINT, those billed within $similar_bill of the cell's median bill
-- Order: provider_id, diagnosis_code (NULL last)
WITH stays AS (
    SELECT provider_id, person_id, coalesce(diagnosis_code, '') AS diagnosis_code,
           CAST(total_amount AS DOUBLE) AS amount
    FROM claims
    WHERE kind = 'inpatient' AND total_amount > 0
      AND ($since IS NULL OR start_time >= $since)
      AND ($until IS NULL OR start_time <= $until)
), once AS (
    SELECT provider_id, any_value(diagnosis_code) AS diagnosis_code, any_value(amount) AS amount
    FROM stays
    GROUP BY provider_id, person_id
    HAVING count(*) = 1
), cells AS (
    SELECT provider_id, diagnosis_code, median(amount) AS centre
    FROM once
    GROUP BY provider_id, diagnosis_code
)
SELECT o.provider_id, nullif(o.diagnosis_code, '') AS diagnosis_code, count(*) AS stays,
       count(*) FILTER (WHERE abs(o.amount - c.centre) <= $similar_bill * c.centre) AS near
FROM once o
JOIN cells c USING (provider_id, diagnosis_code)
GROUP BY o.provider_id, o.diagnosis_code
ORDER BY o.provider_id, nullif(o.diagnosis_code, '') NULLS LAST
