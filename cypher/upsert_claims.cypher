// New claims become a :Claim node linked to its person, card, provider, doctor and
// operator. The store leaves out the claim_ids already stored, in the same transaction
// (Neo4jStore._write_new), so this statement only creates: a guard read here (OPTIONAL
// MATCH on the key) made the planner add Eager barriers and halved the rate. A claim and
// its links commit in one transaction, so a replayed batch repairs nothing and duplicates
// nothing; the unique constraint on claim_id stops any duplicate that slipped past.
// Ends are merged before the claim is created, so their reads do not wait on its writes.
// Its person and doctor are marked :AggregatesStale, so that refresh_aggregates recomputes
// theirs only, not every person's.
// Amounts are integer fen (cents): total_cents, fund_cents, ...
// $rows: list of maps with the canonical claim columns, lineage and row_hash; times as
// ISO text, stored as local date-times.
UNWIND $rows AS row
MERGE (p:Person {person_id: row.person_id})
SET p:AggregatesStale
MERGE (v:Provider {provider_id: row.provider_id})
ON CREATE SET v:$(CASE row.kind WHEN 'pharmacy' THEN 'Pharmacy' ELSE 'Institution' END)
CREATE (c:Claim {claim_id: row.claim_id})
SET c += row
SET c.start_time = localdatetime(row.start_time), c.end_time = localdatetime(row.end_time)
CREATE (c)-[:BY]->(p), (c)-[:AT]->(v)
FOREACH (card_id IN CASE WHEN row.card_id IS NULL THEN [] ELSE [row.card_id] END |
  MERGE (k:Card {card_id: card_id})
  CREATE (c)-[:WITH_CARD]->(k))
FOREACH (doctor_id IN CASE WHEN row.doctor_id IS NULL THEN [] ELSE [row.doctor_id] END |
  MERGE (d:Doctor {doctor_id: doctor_id})
  SET d:AggregatesStale
  CREATE (c)-[:TREATED_BY]->(d))
FOREACH (operator_id IN CASE WHEN row.operator_id IS NULL THEN [] ELSE [row.operator_id] END |
  MERGE (o:Operator {operator_id: operator_id})
  CREATE (c)-[:SWIPED_BY]->(o))
RETURN count(c) AS written
