-- Evidence: the identifiers a masked one (as an export shows it: head … tail) may stand
-- for, from every identifier column of the claims, so that a tip read off an export can
-- be explored; the caller refuses when more than one fits.
-- Parameters: $id_head, $id_tail (VARCHAR; either may be '')
-- Output columns: entity_id VARCHAR
-- Order: entity_id
SELECT DISTINCT entity_id
FROM (
    SELECT person_id AS entity_id FROM claims
    UNION ALL SELECT card_id FROM claims
    UNION ALL SELECT doctor_id FROM claims
    UNION ALL SELECT provider_id FROM claims
    UNION ALL SELECT operator_id FROM claims
)
WHERE starts_with(entity_id, $id_head) AND suffix(entity_id, $id_tail)
  AND length(entity_id) > length($id_head) + length($id_tail)
ORDER BY entity_id
