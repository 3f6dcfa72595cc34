-- One claim-step from the entity ids registered as _ent (person, card, doctor, provider or
-- operator), within an optional time window; returns the claims' rows and the entities
-- they touch. claim_links (sorted by the hash of the entity) names the rows, so only the
-- row groups of claims that hold them are read (claims are stored in provider order, so a
-- provider's, doctor's or operator's claims sit together); the entity columns are compared
-- again because two ids can share a hash.
SELECT c.rowid AS claim_row, c.claim_id, c.person_id, c.card_id, c.doctor_id,
       c.provider_id, c.operator_id
FROM claims c
WHERE c.rowid IN (SELECT claim_row FROM claim_links
                  WHERE entity IN (SELECT hash(e) FROM _ent))
  AND (c.person_id IN (SELECT e FROM _ent) OR c.card_id IN (SELECT e FROM _ent)
       OR c.doctor_id IN (SELECT e FROM _ent) OR c.provider_id IN (SELECT e FROM _ent)
       OR c.operator_id IN (SELECT e FROM _ent))
  AND ($since IS NULL OR c.start_time >= $since)
  AND ($until IS NULL OR c.start_time <= $until)
