// Aggregate relationships for graph algorithms, recomputed after a load that changed
// claims (so they stay right however often a file is replayed), in batches to bound memory:
// (:Person)-[:USED {claims, total_cents}]->(:Provider) and
// (:Doctor)-[:SENT_TO {claims, total_cents}]->(:Pharmacy) for prescriptions filled there.
// Only persons and doctors marked :AggregatesStale (by upsert_claims and apply_reversals):
// a day's file into a year's graph recomputes the people in it, not everyone. Each one's
// mark goes in the transaction that recomputes it, so a cut refresh resumes where it was.
MATCH (p:Person:AggregatesStale)
CALL (p) {
  CALL (p) {
    MATCH (p)<-[:BY]-(c:Claim)-[:AT]->(v:Provider)
    WITH p, v, count(c) AS n, sum(c.total_cents) AS cents
    MERGE (p)-[r:USED]->(v)
    SET r.claims = n, r.total_cents = cents
  }
  REMOVE p:AggregatesStale
} IN TRANSACTIONS OF 2000 ROWS
WITH count(*) AS persons
OPTIONAL MATCH (d:Doctor:AggregatesStale)
CALL (d) {
  CALL (d) {
    MATCH (d)<-[:TREATED_BY]-(c:Claim {kind: 'pharmacy'})-[:AT]->(v:Provider)
    WITH d, v, count(c) AS n, sum(c.total_cents) AS cents
    MERGE (d)-[r:SENT_TO]->(v)
    SET r.claims = n, r.total_cents = cents
  }
  REMOVE d:AggregatesStale
} IN TRANSACTIONS OF 500 ROWS
WITH persons, count(d) AS doctors
OPTIONAL MATCH (s:GraphscanState {name: 'aggregates'})
SET s.stale = false
RETURN persons, doctors
