// Twin of graphscan/sql/card_burst_sizes.sql: same parameters ($since, $until,
// $gap_minutes, $stranger_bursts), columns and order. Bursts by the one burst rule
// (fragment_pharmacy_bursts.cypher, the twin of pharmacy_bursts in macros.sql).
MATCH (c:Claim {kind: 'pharmacy'})
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH DISTINCT c.provider_id AS provider_id, coalesce(c.operator_id, '') AS operator_id
WITH provider_id, operator_id, COLLECT {
  MATCH (c:Claim {provider_id: provider_id})
  WHERE coalesce(c.operator_id, '') = operator_id AND c.kind = 'pharmacy'
    AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  RETURN c ORDER BY c.start_time, c.claim_id
} AS swipes
WITH null AS kept, provider_id, operator_id, swipes
// include: fragment_pharmacy_bursts
WITH provider_id, operator_id, burst, coalesce(c.card_id, c.person_id) AS card_id
WITH provider_id, operator_id, card_id, count(DISTINCT burst) AS card_bursts,
  collect(burst) AS bursts
UNWIND bursts AS burst
WITH provider_id, operator_id, burst, count(DISTINCT card_id) AS size,
  count(DISTINCT CASE WHEN card_bursts <= $stranger_bursts THEN card_id END) AS strangers
RETURN provider_id, operator_id, size, count(*) AS bursts, sum(strangers) AS strangers
ORDER BY provider_id, operator_id, size
