// Twin of graphscan/sql/card_bursts.sql: same parameters ($since, $until, $gap_minutes,
// $min_bursts, $max_burst_cards, $stranger_bursts, $min_strangers), columns and order.
// Each venue's swipes in (start_time, claim_id) order, cut into bursts by the one burst
// rule (fragment_pharmacy_bursts.cypher, the twin of pharmacy_bursts in macros.sql).
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
WITH provider_id, operator_id, burst, c, coalesce(c.card_id, c.person_id) AS card_id
WITH provider_id, operator_id, card_id, count(DISTINCT burst) AS card_bursts,
  collect({burst: burst, c: c}) AS rows
UNWIND rows AS r
WITH provider_id, operator_id, r.burst AS burst, count(DISTINCT card_id) AS burst_cards,
  count(DISTINCT CASE WHEN card_bursts >= $min_bursts THEN card_id END) AS cards,
  count(DISTINCT CASE WHEN card_bursts <= $stranger_bursts THEN card_id END) AS strangers,
  collect({c: r.c, card_id: card_id, card_bursts: card_bursts}) AS rows
WHERE (cards >= 2 OR strangers >= $min_strangers) AND burst_cards <= $max_burst_cards
UNWIND rows AS r
WITH provider_id, operator_id, burst, burst_cards, r
OPTIONAL MATCH (p:Person {person_id: r.c.person_id})
RETURN provider_id, operator_id, burst, r.card_id AS card_id, r.c.person_id AS person_id,
  p.address_key AS address_key, p.region_code AS home_region, r.c.claim_id AS claim_id,
  r.c.start_time AS start_time, r.card_bursts AS card_bursts,
  burst_cards
ORDER BY provider_id, operator_id, burst, card_id, claim_id
