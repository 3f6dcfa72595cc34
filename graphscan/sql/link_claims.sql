-- The claim links of the claims stored from row $start on: one (entity, claim_row) pair
-- for each entity a claim names (person, card, doctor, provider, operator; a card that is
-- the person's own id counted once), entity being DuckDB's hash of the id. Written sorted
-- by entity, so that each row group of claim_links holds a narrow range of hashes and the
-- min-max zone maps of a lookup skip all the others; claim_row is the claim's rowid
-- (claims are only ever appended, see EmbeddedStore._link_claims).
INSERT INTO claim_links
SELECT hash(entity) AS entity, claim_row
FROM (
    SELECT rowid AS claim_row,
           unnest(list_distinct([person_id, card_id, doctor_id, provider_id, operator_id]))
               AS entity
    FROM claims
    WHERE rowid >= $start
)
ORDER BY 1, 2
