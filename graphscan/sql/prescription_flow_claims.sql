-- Kickback evidence: the high-value attributed purchases of the given doctors at the given
-- pharmacies, each with the visit that attributed it (the detector keeps the flows it
-- flagged). Attribution and value are the macro attributed_purchases (macros.sql), as in
-- prescription_flows.sql, restricted to these doctors and pharmacies.
-- Parameters: $since, $until (TIMESTAMP or NULL), $high_value (DOUBLE, yuan),
--             $doctors, $pharmacies (VARCHAR lists)
-- Output columns: claim_id (the purchase), named (INTEGER, 1 when the purchase names
--   the doctor), visit_id (the outpatient visit that attributed it; for a prescription the
--   patient's latest visit to that doctor the same or the day before, NULL when none),
--   visit_card_id (that visit's card, person_id when missing), institution_id ('' when
--   unknown), doctor_id, pharmacy_id, person_id, card_id (person_id when missing),
--   total_amount and start_time (of the purchase)
-- Order: institution_id, doctor_id, pharmacy_id, person_id, claim_id
WITH attributed AS (
    SELECT * FROM attributed_purchases($since, $until, $pharmacies)
    WHERE value >= $high_value AND list_contains($doctors, doctor_id)
), prescribed AS (
    SELECT a.claim_id, 1 AS named, v.claim_id AS visit_id,
           coalesce(v.card_id, v.person_id) AS visit_card_id, a.institution_id, a.doctor_id,
           a.pharmacy_id, a.person_id, a.card_id, a.total_amount, a.start_time
    FROM attributed a
    LEFT JOIN claims v ON v.person_id = a.person_id AND v.kind = 'outpatient'
        AND v.doctor_id = a.doctor_id AND sent_by_visit(v.start_time, a.start_time)
    WHERE a.named
    QUALIFY row_number() OVER (
        PARTITION BY a.claim_id ORDER BY v.start_time DESC, v.claim_id DESC) = 1
)
SELECT * FROM (
    SELECT * FROM prescribed
    UNION ALL
    SELECT claim_id, 0 AS named, visit_id, visit_card_id, institution_id, doctor_id,
           pharmacy_id, person_id, card_id, total_amount, start_time
    FROM attributed WHERE NOT named
)
ORDER BY institution_id, doctor_id, pharmacy_id, person_id, claim_id
