-- Group hospitalisation: every admission to one institution with its day (as in
-- admission_waves.sql) and the patient's contact keys, to find recruits who came only
-- once and to measure how common ring-like admissions are on the institution's other days.
-- Parameters: $since, $until (TIMESTAMP or NULL), $provider_id (VARCHAR)
-- Output columns: claim_id, person_id, card_id (person_id when missing), day (BIGINT, days
--   since 1970-01-01), doctor_id (NULL when unknown), diagnosis_code, total_amount,
--   stay_days (whole days, NULL when not discharged), address_key, phone_key (NULL when
--   unknown)
-- Order: day, person_id, claim_id
SELECT c.claim_id, c.person_id, coalesce(c.card_id, c.person_id) AS card_id,
       date_diff('day', DATE '1970-01-01', CAST(c.start_time AS DATE)) AS day,
       c.doctor_id, c.diagnosis_code, c.total_amount,
       date_diff('day', c.start_time, c.end_time) AS stay_days,
       p.address_key, p.phone_key
FROM claims c
LEFT JOIN persons p ON p.person_id = c.person_id
WHERE c.kind = 'inpatient' AND c.provider_id = $provider_id
  AND ($since IS NULL OR c.start_time >= $since)
  AND ($until IS NULL OR c.start_time <= $until)
ORDER BY day, c.person_id, c.claim_id
