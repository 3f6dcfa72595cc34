-- Resale: every pharmacy purchase of a high-value drug (a drug line costing at least
-- $high_value yuan), one row per purchase line, for the over-need test per person and drug.
-- Parameters: $since, $until (TIMESTAMP or NULL), $high_value (DOUBLE, yuan)
-- Output columns:
--   person_id, card_id (person_id when missing)  the buyer
--   item_code      the drug
--   claim_id, pharmacy_id, doctor_id (prescribing doctor, NULL when none), start_time
--   quantity       DOUBLE, units bought on this line
-- Order: person_id, item_code, start_time, claim_id
SELECT c.person_id, coalesce(c.card_id, c.person_id) AS card_id, i.item_code, c.claim_id,
       c.provider_id AS pharmacy_id, c.doctor_id, c.start_time,
       CAST(i.quantity AS DOUBLE) AS quantity
FROM claims c
JOIN claim_items i USING (claim_id)
WHERE c.kind = 'pharmacy' AND i.item_kind = 'drug' AND i.amount >= $high_value
  AND i.quantity > 0
  AND ($since IS NULL OR c.start_time >= $since)
  AND ($until IS NULL OR c.start_time <= $until)
ORDER BY c.person_id, i.item_code, c.start_time, c.claim_id
