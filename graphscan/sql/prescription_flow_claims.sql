-- Kickback evidence: the high-value attributed purchases of the given doctors at the given
-- pharmacies, each with the visit that attributed it (the detector keeps the flows it
-- flagged). Attribution and value follow prescription_flows.sql, restricted to these
-- doctors and pharmacies.
-- Parameters: $since, $until (TIMESTAMP or NULL), $high_value (DOUBLE, yuan),
--             $doctors, $pharmacies (VARCHAR lists)
-- Output columns: claim_id (the purchase), named (INTEGER, 1 when the purchase names
--   the doctor), visit_id (the outpatient visit that attributed it; for a prescription the
--   patient's latest visit to that doctor the same or the day before, NULL when none),
--   visit_card_id (that visit's card, person_id when missing), institution_id ('' when
--   unknown), doctor_id, pharmacy_id, person_id, card_id (person_id when missing),
--   total_amount (of the purchase)
-- Order: institution_id, doctor_id, pharmacy_id, person_id, claim_id
WITH purchases AS (
    SELECT c.claim_id, c.person_id, coalesce(c.card_id, c.person_id) AS card_id,
           c.provider_id AS pharmacy_id, c.doctor_id, c.start_time, c.total_amount,
           i.lines, i.drug_amount
    FROM claims c
    LEFT JOIN (
        SELECT claim_id, count(*) AS lines, sum(amount) FILTER (WHERE item_kind = 'drug')
               AS drug_amount
        FROM claim_items GROUP BY claim_id
    ) i USING (claim_id)
    WHERE c.kind = 'pharmacy' AND list_contains($pharmacies, c.provider_id)
      AND ($since IS NULL OR c.start_time >= $since)
      AND ($until IS NULL OR c.start_time <= $until)
      AND CASE WHEN i.lines IS NULL THEN c.total_amount ELSE coalesce(i.drug_amount, 0) END
          >= $high_value
), home AS (
    SELECT doctor_id, first(provider_id ORDER BY n DESC, provider_id) AS provider_id
    FROM (
        SELECT doctor_id, provider_id, count(*) AS n
        FROM claims WHERE kind <> 'pharmacy' AND list_contains($doctors, doctor_id)
        GROUP BY doctor_id, provider_id
    ) GROUP BY doctor_id
), prescribed AS (
    SELECT p.claim_id, 1 AS named, v.claim_id AS visit_id,
           coalesce(v.card_id, v.person_id) AS visit_card_id,
           coalesce(d.provider_id, h.provider_id, '') AS institution_id, p.doctor_id,
           p.pharmacy_id, p.person_id, p.card_id, p.total_amount
    FROM purchases p
    LEFT JOIN doctors d ON d.doctor_id = p.doctor_id
    LEFT JOIN home h ON h.doctor_id = p.doctor_id
    LEFT JOIN claims v ON v.person_id = p.person_id AND v.kind = 'outpatient'
        AND v.doctor_id = p.doctor_id AND v.start_time <= p.start_time
        AND CAST(v.start_time AS DATE) >= CAST(p.start_time AS DATE) - 1
    WHERE list_contains($doctors, p.doctor_id)
    QUALIFY row_number() OVER (
        PARTITION BY p.claim_id ORDER BY v.start_time DESC, v.claim_id DESC) = 1
), visited AS (
    SELECT p.claim_id, 0 AS named, v.claim_id AS visit_id,
           coalesce(v.card_id, v.person_id) AS visit_card_id,
           v.provider_id AS institution_id, coalesce(v.doctor_id, '') AS doctor_id,
           p.pharmacy_id, p.person_id, p.card_id, p.total_amount
    FROM purchases p
    JOIN claims v ON v.person_id = p.person_id AND v.kind = 'outpatient'
        AND v.start_time <= p.start_time
        AND CAST(v.start_time AS DATE) >= CAST(p.start_time AS DATE) - 1
    WHERE p.doctor_id IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY p.claim_id ORDER BY v.start_time DESC, v.claim_id DESC) = 1
)
SELECT * FROM (
    SELECT * FROM prescribed
    UNION ALL
    SELECT * FROM visited WHERE list_contains($doctors, doctor_id)
)
ORDER BY institution_id, doctor_id, pharmacy_id, person_id, claim_id
