-- Kickback: pharmacy purchases attributed to the doctor who sent the patient, aggregated
-- per institution -> doctor -> pharmacy, with what the null model needs. A purchase is
-- attributed to the doctor named on it (an external prescription) or, when it names none
-- (an ordinary purchase), to the doctor of the person's latest outpatient visit on the
-- same or the previous calendar day, at or before the purchase (doctor_id '' where that
-- visit names no doctor: the institution's unrecorded doctors). The institution is the
-- visit's; for a prescription it is the doctor's (doctors.provider_id, else the
-- institution where the doctor treats most, '' when neither is known). A purchase is
-- high-value when its drug lines (claim_items) reach $high_value yuan, or, for a claim
-- without item lines, its total does. A patient whose home (persons.region_code) shares
-- its first $region_digits digits with the pharmacy's region buys near home: counted in
-- home_patients / hv_home (unknown homes never are).
-- Parameters: $since, $until (TIMESTAMP or NULL), $high_value (DOUBLE, yuan),
--             $region_digits (INTEGER)
-- Output columns:
--   institution_id   VARCHAR, where the doctor saw the patient ('' when unknown)
--   doctor_id, pharmacy_id  the flow
--   institution_region, pharmacy_region  VARCHAR, providers.region_code (NULL when unknown)
--   patients         BIGINT, distinct persons with an attributed purchase (any value)
--   hv_patients      BIGINT, distinct persons with a high-value attributed purchase
--   hv_claims        BIGINT, high-value attributed purchases
--   repeat_patients  BIGINT, persons with two or more of them (the doctor - patient -
--                    pharmacy triangle repeating)
--   hv_amount        DECIMAL, total amount of the high-value purchases
--   prescribed       BIGINT, high-value purchases naming the doctor themselves
--   by_items         BIGINT, high-value purchases valued from their item lines
--   home_patients    BIGINT, of patients, those living in the pharmacy's region
--   hv_home          BIGINT, of hv_patients, those living in the pharmacy's region
-- Order: institution_id, doctor_id, pharmacy_id
WITH purchases AS (
    SELECT c.claim_id, c.person_id, c.provider_id AS pharmacy_id, c.doctor_id, c.start_time,
           c.total_amount, i.lines, i.drug_amount
    FROM claims c
    LEFT JOIN (
        SELECT claim_id, count(*) AS lines, sum(amount) FILTER (WHERE item_kind = 'drug')
               AS drug_amount
        FROM claim_items GROUP BY claim_id
    ) i USING (claim_id)
    WHERE c.kind = 'pharmacy'
      AND ($since IS NULL OR c.start_time >= $since)
      AND ($until IS NULL OR c.start_time <= $until)
), home AS (
    SELECT doctor_id, first(provider_id ORDER BY n DESC, provider_id) AS provider_id
    FROM (
        SELECT doctor_id, provider_id, count(*) AS n
        FROM claims WHERE kind <> 'pharmacy' AND doctor_id IS NOT NULL
        GROUP BY doctor_id, provider_id
    ) GROUP BY doctor_id
), prescribed AS (
    SELECT p.*, coalesce(d.provider_id, h.provider_id, '') AS institution_id
    FROM purchases p
    LEFT JOIN doctors d ON d.doctor_id = p.doctor_id
    LEFT JOIN home h ON h.doctor_id = p.doctor_id
    WHERE p.doctor_id IS NOT NULL
), visited AS (
    SELECT p.claim_id, p.person_id, p.pharmacy_id, coalesce(v.doctor_id, '') AS doctor_id,
           p.start_time, p.total_amount,
           p.lines, p.drug_amount, v.provider_id AS institution_id
    FROM purchases p
    JOIN claims v ON v.person_id = p.person_id AND v.kind = 'outpatient'
        AND v.start_time <= p.start_time
        AND CAST(v.start_time AS DATE) >= CAST(p.start_time AS DATE) - 1
    WHERE p.doctor_id IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY p.claim_id ORDER BY v.start_time DESC, v.claim_id DESC) = 1
), attributed AS (
    SELECT *, TRUE AS named FROM prescribed
    UNION ALL
    SELECT *, FALSE AS named FROM visited
), valued AS (
    SELECT *, lines IS NOT NULL AS by_items,
           CASE WHEN lines IS NULL THEN total_amount ELSE coalesce(drug_amount, 0) END
               >= $high_value AS high
    FROM attributed
), triangles AS (
    SELECT institution_id, doctor_id, pharmacy_id, person_id,
           count(*) FILTER (WHERE high) AS hv_claims,
           sum(total_amount) FILTER (WHERE high) AS hv_amount,
           count(*) FILTER (WHERE high AND named) AS prescribed,
           count(*) FILTER (WHERE high AND by_items) AS by_items
    FROM valued GROUP BY institution_id, doctor_id, pharmacy_id, person_id
)
SELECT t.institution_id, t.doctor_id, t.pharmacy_id,
       i.region_code AS institution_region, f.region_code AS pharmacy_region,
       count(*) AS patients,
       count(*) FILTER (WHERE t.hv_claims > 0) AS hv_patients,
       CAST(sum(t.hv_claims) AS BIGINT) AS hv_claims,
       count(*) FILTER (WHERE t.hv_claims >= 2) AS repeat_patients,
       coalesce(sum(t.hv_amount), 0) AS hv_amount,
       CAST(sum(t.prescribed) AS BIGINT) AS prescribed,
       CAST(sum(t.by_items) AS BIGINT) AS by_items,
       count(*) FILTER (WHERE left(p.region_code, $region_digits)
                              = left(f.region_code, $region_digits)) AS home_patients,
       count(*) FILTER (WHERE t.hv_claims > 0 AND left(p.region_code, $region_digits)
                              = left(f.region_code, $region_digits)) AS hv_home
FROM triangles t
LEFT JOIN providers i ON i.provider_id = t.institution_id
LEFT JOIN providers f ON f.provider_id = t.pharmacy_id
LEFT JOIN persons p ON p.person_id = t.person_id
GROUP BY t.institution_id, t.doctor_id, t.pharmacy_id, i.region_code, f.region_code
ORDER BY t.institution_id, t.doctor_id, t.pharmacy_id
