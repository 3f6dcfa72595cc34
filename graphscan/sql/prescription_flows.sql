-- Kickback: high-value external prescriptions (pharmacy claims naming a doctor, total at
-- least $high_value yuan) aggregated per doctor -> pharmacy flow, with the volumes the
-- null model needs. A doctor's peers are the other doctors of the same institution
-- (doctors.provider_id; '' when unknown).
-- Parameters: $since, $until (TIMESTAMP or NULL), $high_value (DOUBLE, yuan)
-- Output columns:
--   doctor_id, pharmacy_id  the flow
--   institution_id   VARCHAR, the doctor's institution ('' when unknown)
--   claims           BIGINT, high-value prescriptions of the doctor filled at the pharmacy
--   patients         BIGINT, distinct persons among them
--   repeat_patients  BIGINT, of them, persons with two or more (the doctor - patient -
--                    pharmacy triangle repeating)
--   total_amount     DECIMAL, their total amount
--   doctor_claims    BIGINT, all high-value filled prescriptions of the doctor
--   peers_to_pharmacy BIGINT, the same from all doctors of the institution to the pharmacy
--   peers_claims     BIGINT, all high-value filled prescriptions of the institution's doctors
--   pharmacy_claims  BIGINT, all high-value filled prescriptions at the pharmacy
--   all_claims       BIGINT, all high-value filled prescriptions in the window
-- Order: doctor_id, pharmacy_id
WITH rx AS (
    SELECT c.doctor_id, c.provider_id AS pharmacy_id, c.person_id, c.total_amount,
           coalesce(d.provider_id, '') AS institution_id
    FROM claims c
    LEFT JOIN doctors d ON d.doctor_id = c.doctor_id
    WHERE c.kind = 'pharmacy' AND c.doctor_id IS NOT NULL AND c.total_amount >= $high_value
      AND ($since IS NULL OR c.start_time >= $since)
      AND ($until IS NULL OR c.start_time <= $until)
), triangles AS (
    SELECT doctor_id, pharmacy_id, institution_id, person_id, count(*) AS claims,
           sum(total_amount) AS total_amount
    FROM rx GROUP BY doctor_id, pharmacy_id, institution_id, person_id
), flows AS (
    SELECT doctor_id, pharmacy_id, institution_id, sum(claims) AS claims,
           count(*) AS patients, count(*) FILTER (WHERE claims >= 2) AS repeat_patients,
           sum(total_amount) AS total_amount
    FROM triangles GROUP BY doctor_id, pharmacy_id, institution_id
)
SELECT doctor_id, pharmacy_id, institution_id, claims, patients, repeat_patients, total_amount,
       sum(claims) OVER (PARTITION BY doctor_id) AS doctor_claims,
       sum(claims) OVER (PARTITION BY institution_id, pharmacy_id) AS peers_to_pharmacy,
       sum(claims) OVER (PARTITION BY institution_id) AS peers_claims,
       sum(claims) OVER (PARTITION BY pharmacy_id) AS pharmacy_claims,
       sum(claims) OVER () AS all_claims
FROM flows
ORDER BY doctor_id, pharmacy_id
