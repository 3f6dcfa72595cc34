// Twin of graphscan/sql/prescription_flow_claims.sql: same parameters ($since, $until,
// $high_value, $doctors, $pharmacies), columns and order; attribution and value as in
// prescription_flows.cypher, the institution from fragment_doctor_institution.
MATCH (c:Claim {kind: 'pharmacy'})
WHERE c.provider_id IN $pharmacies
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
OPTIONAL MATCH (c)-[:HAS_ITEM]->(i:ClaimItem)
WITH c, count(i) AS lines,
  sum(CASE WHEN i.item_kind = 'drug' THEN i.amount_cents END) AS drug_cents
WHERE CASE WHEN lines = 0 THEN c.total_cents ELSE drug_cents END / 100.0 >= $high_value
WITH c, COLLECT {
    MATCH (c)-[:BY]->(:Person)<-[:BY]-(v:Claim {kind: 'outpatient'})
    WHERE (c.doctor_id IS NULL OR v.doctor_id = c.doctor_id) AND v.start_time <= c.start_time
      AND date(v.start_time) >= date(c.start_time) - duration('P1D')
    RETURN v ORDER BY v.start_time DESC, v.claim_id DESC LIMIT 1
  } AS visits
WITH c, visits[0] AS v
WHERE c.doctor_id IS NOT NULL OR v IS NOT NULL
WITH c, v, coalesce(c.doctor_id, v.doctor_id, '') AS doctor_id
WHERE doctor_id IN $doctors
WITH {c: c, v: v} AS kept, doctor_id
// include: fragment_doctor_institution
WITH kept.c AS c, kept.v AS v, doctor_id, institution
RETURN c.claim_id AS claim_id, CASE WHEN c.doctor_id IS NULL THEN 0 ELSE 1 END AS named, v.claim_id AS visit_id,
  coalesce(v.card_id, v.person_id) AS visit_card_id,
  CASE WHEN c.doctor_id IS NOT NULL THEN institution ELSE v.provider_id END
    AS institution_id,
  doctor_id, c.provider_id AS pharmacy_id, c.person_id AS person_id,
  coalesce(c.card_id, c.person_id) AS card_id, c.total_cents / 100.0 AS total_amount,
  c.start_time AS start_time
ORDER BY institution_id, doctor_id, pharmacy_id, person_id, claim_id
