// Neo4j Browser / Bloom: a case's evidence claims with their people, cards, doctors,
// providers and operators, plus the aggregate USED / SENT_TO relationships among them.
// Parameters: $claim_ids, the case's evidence claim ids (from the case's evidence CSV or
// `graphscan case show`), e.g. :param claim_ids => ['C001', 'C002'].
UNWIND $claim_ids AS claim_id
MATCH (c:Claim {claim_id: claim_id})-[r:BY|WITH_CARD|AT|TREATED_BY|SWIPED_BY]->(n)
WITH collect(DISTINCT c) AS claims, collect(r) AS links, collect(DISTINCT n) AS entities
UNWIND entities AS a
OPTIONAL MATCH (a)-[agg:USED|SENT_TO]->(b) WHERE b IN entities
RETURN claims, links, entities, collect(agg) AS aggregates
