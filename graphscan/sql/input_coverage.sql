-- What the detectors can read: how many rows carry each input a pattern uses, so a scan
-- of partial data (claims only, say) warns instead of finding nothing in silence.
-- Parameters: none
-- Output columns (one row, BIGINT): pharmacy_operator, pharmacy_doctor, inpatient_claims,
--   claim_items, persons_attributes, persons_phone, persons_region, providers_region,
--   doctors_provider
SELECT
  (SELECT count(*) FROM claims WHERE kind = 'pharmacy' AND operator_id IS NOT NULL)
    AS pharmacy_operator,
  (SELECT count(*) FROM claims WHERE kind = 'pharmacy' AND doctor_id IS NOT NULL)
    AS pharmacy_doctor,
  (SELECT count(*) FROM claims WHERE kind = 'inpatient') AS inpatient_claims,
  (SELECT count(*) FROM claim_items) AS claim_items,
  (SELECT count(*) FROM persons
    WHERE death_date IS NOT NULL OR birth_date IS NOT NULL OR sex IS NOT NULL)
    AS persons_attributes,
  (SELECT count(*) FROM persons WHERE phone_key IS NOT NULL) AS persons_phone,
  (SELECT count(*) FROM persons WHERE region_code IS NOT NULL) AS persons_region,
  (SELECT count(*) FROM providers WHERE region_code IS NOT NULL) AS providers_region,
  (SELECT count(*) FROM doctors WHERE provider_id IS NOT NULL) AS doctors_provider
