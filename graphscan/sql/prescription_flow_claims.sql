-- Kickback evidence: the high-value filled external prescriptions (total at least
-- $high_value yuan) of the given doctors at the given pharmacies (the detector keeps the
-- doctor -> pharmacy pairs it flagged).
-- Parameters: $since, $until (TIMESTAMP or NULL), $high_value (DOUBLE, yuan),
--             $doctors, $pharmacies (VARCHAR lists)
-- Output columns: claim_id, doctor_id, pharmacy_id, person_id, card_id (person_id when
--   missing), total_amount
-- Order: doctor_id, pharmacy_id, person_id, claim_id
SELECT claim_id, doctor_id, provider_id AS pharmacy_id, person_id,
       coalesce(card_id, person_id) AS card_id, total_amount
FROM claims
WHERE kind = 'pharmacy' AND total_amount >= $high_value
  AND list_contains($doctors, doctor_id) AND list_contains($pharmacies, provider_id)
  AND ($since IS NULL OR start_time >= $since)
  AND ($until IS NULL OR start_time <= $until)
ORDER BY doctor_id, pharmacy_id, person_id, claim_id
