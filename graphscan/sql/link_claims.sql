-- The claim links of the claims stored from row $start on: one (entity, claim_row) pair
-- for the claim's own id and for each entity it names (person, card, doctor, provider,
-- operator; a card that is the person's own id counted once), entity being DuckDB's hash
-- of the id. Written sorted
-- by entity, so that each row group of claim_links holds a narrow range of hashes and the
-- min-max zone maps of a lookup skip all the others; claim_row is the claim's rowid
-- (claims are only ever appended, see EmbeddedStore._link). One scan per column
-- (a list of the five unnested per claim costs five times more).
INSERT INTO claim_links
SELECT * FROM (
    SELECT hash(claim_id), rowid FROM claims WHERE rowid >= $start
    UNION ALL
    SELECT hash(person_id), rowid FROM claims WHERE rowid >= $start
    UNION ALL
    SELECT hash(card_id), rowid FROM claims
    WHERE rowid >= $start AND card_id IS NOT NULL AND card_id <> person_id
    UNION ALL
    SELECT hash(doctor_id), rowid FROM claims WHERE rowid >= $start AND doctor_id IS NOT NULL
    UNION ALL
    SELECT hash(provider_id), rowid FROM claims WHERE rowid >= $start
    UNION ALL
    SELECT hash(operator_id), rowid FROM claims
    WHERE rowid >= $start AND operator_id IS NOT NULL
)
ORDER BY 1
