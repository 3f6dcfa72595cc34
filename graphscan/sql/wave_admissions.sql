-- Group hospitalisation: every admission to one institution with its wave number (same
-- numbering as admission_waves.sql), to find recruits who came only once and to measure
-- how common ring-like admissions are in the institution's other waves.
-- Parameters: $since, $until (TIMESTAMP or NULL), $provider_id (VARCHAR), $wave_days (INTEGER)
-- Output columns: claim_id, person_id, card_id (person_id when missing), wave (BIGINT),
--   diagnosis_code, total_amount, stay_days (whole days, NULL when not discharged)
-- Order: wave, person_id, claim_id
SELECT claim_id, person_id, coalesce(card_id, person_id) AS card_id,
       date_diff('day', DATE '1970-01-01', CAST(start_time AS DATE)) // $wave_days AS wave,
       diagnosis_code, total_amount, date_diff('day', start_time, end_time) AS stay_days
FROM claims
WHERE kind = 'inpatient' AND provider_id = $provider_id
  AND ($since IS NULL OR start_time >= $since)
  AND ($until IS NULL OR start_time <= $until)
ORDER BY wave, person_id, claim_id
