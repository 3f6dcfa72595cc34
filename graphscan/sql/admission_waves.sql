-- Group hospitalisation: inpatient admissions of persons who came to one institution in at
-- least $min_waves episodes (an episode starts with an admission $wave_days or more days
-- after the person's previous admission there; a readmission within days is the same
-- episode). Days are counted since 1970-01-01, so waves are found by distance in days, not
-- by calendar buckets that would split a wave.
-- Parameters: $since, $until (TIMESTAMP or NULL), $wave_days (INTEGER), $min_waves (INTEGER)
-- Output columns:
--   provider_id   the institution
--   day           BIGINT, admission day (days since 1970-01-01)
--   person_id     who was admitted
--   card_id       the card used (person_id when missing)
--   address_key   the person's household key (NULL when unknown)
--   phone_key     the person's phone key (NULL when unknown)
--   claim_id      the admission
--   doctor_id     treating doctor (NULL when unknown)
--   diagnosis_code, total_amount, stay_days (end_time - start_time in whole days, NULL
--                 when not discharged)
--   person_waves  BIGINT, the person's admission episodes at this institution
-- Order: provider_id, day, person_id, claim_id
WITH stays AS (
    SELECT claim_id, provider_id, person_id, coalesce(card_id, person_id) AS card_id,
           doctor_id, diagnosis_code, total_amount,
           date_diff('day', start_time, end_time) AS stay_days,
           date_diff('day', DATE '1970-01-01', CAST(start_time AS DATE)) AS day
    FROM claims
    WHERE kind = 'inpatient'
      AND ($since IS NULL OR start_time >= $since)
      AND ($until IS NULL OR start_time <= $until)
), gaps AS (
    SELECT provider_id, person_id, day,
           day - lag(day) OVER (PARTITION BY provider_id, person_id ORDER BY day) AS gap
    FROM (SELECT DISTINCT provider_id, person_id, day FROM stays)
), per_person AS (
    SELECT provider_id, person_id,
           count(*) FILTER (WHERE gap IS NULL OR gap >= $wave_days) AS person_waves
    FROM gaps GROUP BY provider_id, person_id
)
SELECT s.provider_id, s.day, s.person_id, s.card_id, p.address_key, p.phone_key, s.claim_id,
       s.doctor_id, s.diagnosis_code, s.total_amount, s.stay_days, k.person_waves
FROM stays s
JOIN per_person k USING (provider_id, person_id)
LEFT JOIN persons p ON p.person_id = s.person_id
WHERE k.person_waves >= $min_waves
ORDER BY s.provider_id, s.day, s.person_id, s.claim_id
