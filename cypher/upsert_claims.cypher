// Claims that are not stored yet become a :Claim node linked to its person, card,
// provider, doctor and operator. Existing claim_ids are left alone (idempotent), and a
// claim and its links commit in one transaction, so a replayed batch repairs nothing
// and duplicates nothing. Amounts are integer fen (cents): total_cents, fund_cents, ...
// $rows: list of maps with the canonical claim columns, lineage and row_hash; times as
// ISO text, stored as local date-times.
UNWIND $rows AS row
OPTIONAL MATCH (old:Claim {claim_id: row.claim_id})
WITH row WHERE old IS NULL
CREATE (c:Claim {claim_id: row.claim_id})
SET c += row
SET c.start_time = localdatetime(row.start_time), c.end_time = localdatetime(row.end_time)
MERGE (p:Person {person_id: row.person_id})
CREATE (c)-[:BY]->(p)
MERGE (v:Provider {provider_id: row.provider_id})
ON CREATE SET v:$(CASE row.kind WHEN 'pharmacy' THEN 'Pharmacy' ELSE 'Institution' END)
CREATE (c)-[:AT]->(v)
FOREACH (card_id IN CASE WHEN row.card_id IS NULL THEN [] ELSE [row.card_id] END |
  MERGE (k:Card {card_id: card_id})
  CREATE (c)-[:WITH_CARD]->(k))
FOREACH (doctor_id IN CASE WHEN row.doctor_id IS NULL THEN [] ELSE [row.doctor_id] END |
  MERGE (d:Doctor {doctor_id: doctor_id})
  CREATE (c)-[:TREATED_BY]->(d))
FOREACH (operator_id IN CASE WHEN row.operator_id IS NULL THEN [] ELSE [row.operator_id] END |
  MERGE (o:Operator {operator_id: operator_id})
  CREATE (c)-[:SWIPED_BY]->(o))
RETURN count(c) AS written
