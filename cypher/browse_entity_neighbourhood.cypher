// Neo4j Browser / Bloom: the claims around one entity and everything they link to.
// Parameters (in Browser: :param entity_id => 'P-3f9a…'; :param since => null; ...):
//   $entity_id  pseudonymised person/card id, or a doctor, provider or operator code
//   $since, $until  optional local date-times bounding the claims' start_time (or null)
//   $limit      at most this many claims (e.g. 200)
CALL () {
  MATCH (e:Person {person_id: $entity_id}) RETURN e
  UNION MATCH (e:Card {card_id: $entity_id}) RETURN e
  UNION MATCH (e:Doctor {doctor_id: $entity_id}) RETURN e
  UNION MATCH (e:Provider {provider_id: $entity_id}) RETURN e
  UNION MATCH (e:Operator {operator_id: $entity_id}) RETURN e
}
MATCH (e)<-[link:BY|WITH_CARD|AT|TREATED_BY|SWIPED_BY]-(c:Claim)
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH e, link, c ORDER BY c.start_time LIMIT $limit
MATCH (c)-[r:BY|WITH_CARD|AT|TREATED_BY|SWIPED_BY]->(other)
RETURN e, link, c, r, other
