// Person-provider edge list weighted by claim count, from the aggregate USED relationships.
// Columns: source (person_id), target (provider_id), weight (claims). Ordered for determinism.
MATCH (p:Person)-[r:USED]->(v:Provider)
RETURN p.person_id AS source, v.provider_id AS target, r.claims AS weight
ORDER BY source, target
