// One claim-step from a set of entity ids (person, card, doctor, provider or operator),
// within an optional time window; returns the claims and the entities they touch.
UNWIND $ids AS id
CALL (id) {
  MATCH (c:Claim) WHERE c.person_id = id RETURN c
  UNION MATCH (c:Claim) WHERE c.card_id = id RETURN c
  UNION MATCH (c:Claim) WHERE c.provider_id = id RETURN c
  UNION MATCH (c:Claim) WHERE c.doctor_id = id RETURN c
  UNION MATCH (c:Claim) WHERE c.operator_id = id RETURN c
}
WITH DISTINCT c
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
RETURN c.claim_id AS claim_id, c.person_id AS person_id, c.card_id AS card_id,
  c.provider_id AS provider_id, c.doctor_id AS doctor_id, c.operator_id AS operator_id
