-- Kickback: pharmacy purchases attributed to the doctor who sent the patient (the macro
-- attributed_purchases in macros.sql: the doctor a purchase names, else the doctor of the
-- person's latest outpatient visit the same or the previous day; doctor_id '' where that
-- visit names none), aggregated per institution -> doctor -> pharmacy, with what the null
-- model needs. A purchase is high-value when its drug lines (claim_items) reach
-- $high_value yuan, or, for a claim without item lines, its total does. A patient whose
-- home (persons.region_code) shares its first $region_digits digits with the pharmacy's
-- region buys near home: counted in home_patients / hv_home. Unknown homes never are, nor
-- regions shorter than $region_digits (a county from a national code is no nearness).
-- Parameters: $since, $until (TIMESTAMP or NULL), $high_value (DOUBLE, yuan),
--             $region_digits (INTEGER)
-- Output columns:
--   institution_id   VARCHAR, where the doctor saw the patient ('' when unknown)
--   doctor_id, pharmacy_id  the flow
--   institution_region, pharmacy_region  VARCHAR, providers.region_code, else the county
--                    in the national code (provider_region in macros.sql; NULL when unknown)
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
WITH valued AS (
    SELECT *, value >= $high_value AS high
    FROM attributed_purchases($since, $until, NULL)
), triangles AS (
    SELECT institution_id, doctor_id, pharmacy_id, person_id,
           count(*) FILTER (WHERE high) AS hv_claims,
           sum(total_amount) FILTER (WHERE high) AS hv_amount,
           count(*) FILTER (WHERE high AND named) AS prescribed,
           count(*) FILTER (WHERE high AND by_items) AS by_items
    FROM valued GROUP BY institution_id, doctor_id, pharmacy_id, person_id
), placed AS (
    SELECT t.*, p.region_code AS home_region,
           provider_region(t.institution_id, i.region_code) AS institution_region,
           provider_region(t.pharmacy_id, f.region_code) AS pharmacy_region
    FROM triangles t
    LEFT JOIN providers i ON i.provider_id = t.institution_id
    LEFT JOIN providers f ON f.provider_id = t.pharmacy_id
    LEFT JOIN persons p ON p.person_id = t.person_id
), homed AS (
    SELECT *, coalesce(length(home_region) >= $region_digits
                       AND length(pharmacy_region) >= $region_digits
                       AND left(home_region, $region_digits) = left(pharmacy_region, $region_digits),
                       false) AS home
    FROM placed
)
SELECT institution_id, doctor_id, pharmacy_id, institution_region, pharmacy_region,
       count(*) AS patients,
       count(*) FILTER (WHERE hv_claims > 0) AS hv_patients,
       CAST(sum(hv_claims) AS BIGINT) AS hv_claims,
       count(*) FILTER (WHERE hv_claims >= 2) AS repeat_patients,
       coalesce(sum(hv_amount), 0) AS hv_amount,
       CAST(sum(prescribed) AS BIGINT) AS prescribed,
       CAST(sum(by_items) AS BIGINT) AS by_items,
       count(*) FILTER (WHERE home) AS home_patients,
       count(*) FILTER (WHERE hv_claims > 0 AND home) AS hv_home
FROM homed
GROUP BY institution_id, doctor_id, pharmacy_id, institution_region, pharmacy_region
ORDER BY institution_id, doctor_id, pharmacy_id
