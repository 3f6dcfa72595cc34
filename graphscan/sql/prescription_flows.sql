-- Kickback: pharmacy purchases attributed to the doctor who sent the patient (the macro
-- attributed_purchases in macros.sql: the doctor a purchase names, else the doctor of the
-- person's latest outpatient visit the same or the previous day; doctor_id '' where that
-- visit names none), aggregated per institution -> doctor -> pharmacy, with what the null
-- model needs. A purchase is high-value when its drug lines (claim_items) reach
-- $high_value yuan, or, for a claim without item lines, its total does. A patient whose
-- home (persons.region_code) shares its first $region_digits digits with the pharmacy's
-- region buys near home: counted in home_patients / hv_home. Unknown homes never are, nor
-- regions shorter than $region_digits (a county from a national code is no nearness). A
-- pharmacy the providers table does not place to $region_digits is placed where most of
-- its walk-in customers live (purchases no doctor sent there; their homes' first
-- $region_digits digits, within the county its national code gives): a pharmacy's
-- walk-ins are mostly its town's people, the steered patients are not.
-- Parameters: $since, $until (TIMESTAMP or NULL), $high_value (DOUBLE, yuan),
--             $region_digits (INTEGER)
-- Output columns:
--   institution_id   VARCHAR, where the doctor saw the patient ('' when unknown)
--   doctor_id, pharmacy_id  the flow
--   institution_region, pharmacy_region  VARCHAR, providers.region_code (a pharmacy's
--                    not to $region_digits: where most of its walk-ins live), else the
--                    county in the national code (provider_region in macros.sql; NULL
--                    when unknown)
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
--   town_patients    BIGINT, the doctor's patients (at any pharmacy) living in the
--                    pharmacy's region: where the doctor's patients from that town could
--                    have bought, the denominator of home_patients
--   hv_town          BIGINT, of town_patients, those with a high-value attributed purchase
--   inst_town_patients  BIGINT, town_patients summed over all the institution's doctors
--                    (those with no patient at this pharmacy too)
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
), coarse AS (
    SELECT DISTINCT pharmacy_id AS provider_id, pharmacy_region AS code FROM placed
    WHERE coalesce(length(pharmacy_region), 0) < $region_digits
), seats AS (
    SELECT k.provider_id, first(r.town ORDER BY r.n DESC, r.town) AS town
    FROM coarse k
    JOIN (
        SELECT c.provider_id, left(p.region_code, $region_digits) AS town,
               count(DISTINCT c.person_id) AS n
        FROM claims c
        JOIN persons p ON p.person_id = c.person_id
        WHERE c.kind = 'pharmacy' AND c.provider_id IN (SELECT provider_id FROM coarse)
          AND c.claim_id NOT IN (SELECT claim_id FROM valued)
          AND length(p.region_code) >= $region_digits
          AND ($since IS NULL OR c.start_time >= $since)
          AND ($until IS NULL OR c.start_time <= $until)
        GROUP BY c.provider_id, town
    ) r ON r.provider_id = k.provider_id AND (k.code IS NULL OR starts_with(r.town, k.code))
    GROUP BY k.provider_id
), seated AS (
    SELECT t.* REPLACE (coalesce(s.town, t.pharmacy_region) AS pharmacy_region)
    FROM placed t
    LEFT JOIN seats s ON s.provider_id = t.pharmacy_id
), homed AS (
    SELECT *, coalesce(length(home_region) >= $region_digits
                       AND length(pharmacy_region) >= $region_digits
                       AND left(home_region, $region_digits) = left(pharmacy_region, $region_digits),
                       false) AS home
    FROM seated
), towns AS (
    SELECT institution_id, doctor_id, left(home_region, $region_digits) AS town,
           count(DISTINCT person_id) AS town_patients,
           count(DISTINCT person_id) FILTER (WHERE hv_claims > 0) AS hv_town
    FROM homed WHERE length(home_region) >= $region_digits
    GROUP BY institution_id, doctor_id, town
), inst_towns AS (
    SELECT institution_id, town, sum(town_patients) AS inst_town_patients
    FROM towns GROUP BY institution_id, town
), flows AS (
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
)
SELECT f.*, coalesce(t.town_patients, 0) AS town_patients, coalesce(t.hv_town, 0) AS hv_town,
       CAST(coalesce(i.inst_town_patients, 0) AS BIGINT) AS inst_town_patients
FROM flows f
LEFT JOIN towns t ON t.institution_id = f.institution_id AND t.doctor_id = f.doctor_id
    AND length(f.pharmacy_region) >= $region_digits
    AND t.town = left(f.pharmacy_region, $region_digits)
LEFT JOIN inst_towns i ON i.institution_id = f.institution_id
    AND length(f.pharmacy_region) >= $region_digits
    AND i.town = left(f.pharmacy_region, $region_digits)
ORDER BY f.institution_id, f.doctor_id, f.pharmacy_id
