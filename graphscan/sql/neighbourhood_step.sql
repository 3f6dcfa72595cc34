-- One claim-step from the entity ids registered as _ent (person, card, doctor, provider or
-- operator), within an optional time window; returns the claims and the entities they touch.
SELECT claim_id, person_id, card_id, doctor_id, provider_id, operator_id
FROM claims
WHERE (person_id IN (SELECT e FROM _ent) OR card_id IN (SELECT e FROM _ent)
       OR doctor_id IN (SELECT e FROM _ent) OR provider_id IN (SELECT e FROM _ent)
       OR operator_id IN (SELECT e FROM _ent))
  AND ($since IS NULL OR start_time >= $since)
  AND ($until IS NULL OR start_time <= $until)
