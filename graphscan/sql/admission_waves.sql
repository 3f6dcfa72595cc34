-- Group hospitalisation: inpatient admissions bucketed into waves of $wave_days days per
-- institution (wave = days since 1970-01-01 integer-divided by $wave_days). Only persons
-- admitted in at least $min_waves waves of that institution, in waves holding at least two
-- such persons.
-- Parameters: $since, $until (TIMESTAMP or NULL), $wave_days (INTEGER), $min_waves (INTEGER)
-- Output columns:
--   provider_id   the institution
--   wave          BIGINT, wave number (days since epoch // $wave_days)
--   person_id     who was admitted
--   card_id       the card used (person_id when missing)
--   address_key   the person's household key (NULL when unknown)
--   phone_key     the person's phone key (NULL when unknown)
--   claim_id      the admission
--   doctor_id     treating doctor (NULL when unknown)
--   diagnosis_code, total_amount, stay_days (end_time - start_time in whole days, NULL
--                 when not discharged)
--   person_waves  BIGINT, waves in which the person was admitted to this institution
--   wave_persons  BIGINT, distinct persons admitted in this wave (all of them)
-- Order: provider_id, wave, person_id, claim_id
WITH stays AS (
    SELECT claim_id, provider_id, person_id, coalesce(card_id, person_id) AS card_id,
           doctor_id, diagnosis_code, total_amount,
           date_diff('day', start_time, end_time) AS stay_days,
           (date_diff('day', DATE '1970-01-01', CAST(start_time AS DATE)) // $wave_days)
               AS wave
    FROM claims
    WHERE kind = 'inpatient'
      AND ($since IS NULL OR start_time >= $since)
      AND ($until IS NULL OR start_time <= $until)
), per_person AS (
    SELECT provider_id, person_id, count(DISTINCT wave) AS person_waves
    FROM stays GROUP BY provider_id, person_id
), sized AS (
    SELECT provider_id, wave, count(DISTINCT person_id) AS wave_persons
    FROM stays GROUP BY provider_id, wave
), repeat AS (
    SELECT s.*, k.person_waves
    FROM stays s JOIN per_person k USING (provider_id, person_id)
    WHERE k.person_waves >= $min_waves
), shared AS (
    SELECT provider_id, wave FROM repeat
    GROUP BY provider_id, wave HAVING count(DISTINCT person_id) >= 2
)
SELECT r.provider_id, r.wave, r.person_id, r.card_id, p.address_key, p.phone_key, r.claim_id,
       r.doctor_id, r.diagnosis_code, r.total_amount, r.stay_days, r.person_waves,
       z.wave_persons
FROM repeat r
SEMI JOIN shared s USING (provider_id, wave)
JOIN sized z USING (provider_id, wave)
LEFT JOIN persons p ON p.person_id = r.person_id
ORDER BY r.provider_id, r.wave, r.person_id, r.claim_id
