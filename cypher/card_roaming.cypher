// Twin of graphscan/sql/card_roaming.sql: same parameters ($since, $until, $gap_minutes,
// $min_bursts, $region_digits), columns and order. Far swipes screen the travellers; bursts
// (the one burst rule, fragment_pharmacy_bursts.cypher, over each counter's calendar day)
// only on the counter-days where two or more of them were swiped far from home.
MATCH (c:Claim {kind: 'pharmacy'})
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
OPTIONAL MATCH (h:Person {person_id: c.person_id})
OPTIONAL MATCH (v:Provider {provider_id: c.provider_id})
WITH c WHERE left(h.region_code, $region_digits) <> left(v.region_code, $region_digits)
WITH coalesce(c.card_id, c.person_id) AS card_id, collect(c) AS far,
  count(DISTINCT c.provider_id) AS pharmacies
WHERE size(far) >= $min_bursts AND pharmacies >= 2
WITH collect(card_id) AS screened, collect(far) AS far
UNWIND far AS swipes
UNWIND swipes AS c
WITH screened, c.provider_id AS provider_id, coalesce(c.operator_id, '') AS operator_id,
  toString(date(c.start_time)) AS day, count(DISTINCT coalesce(c.card_id, c.person_id)) AS cards
WHERE cards >= 2
WITH screened, provider_id, operator_id, day, COLLECT {
  MATCH (c:Claim {provider_id: provider_id})
  WHERE coalesce(c.operator_id, '') = operator_id AND c.kind = 'pharmacy'
    AND toString(date(c.start_time)) = day
    AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  RETURN c ORDER BY c.start_time, c.claim_id
} AS swipes
WITH {screened: screened, day: day} AS kept, provider_id, operator_id, swipes
// include: fragment_pharmacy_bursts
WITH kept.screened AS screened, provider_id, operator_id, kept.day AS day, burst, c,
  coalesce(c.card_id, c.person_id) AS card_id
WITH screened, provider_id, operator_id, day, burst, count(DISTINCT card_id) AS burst_cards,
  collect({c: c, card_id: card_id}) AS rows
UNWIND rows AS r
WITH provider_id, operator_id, day, burst, burst_cards, r WHERE r.card_id IN screened
OPTIONAL MATCH (h:Person {person_id: r.c.person_id})
OPTIONAL MATCH (v:Provider {provider_id: provider_id})
WITH provider_id, operator_id, day, burst, burst_cards, r, h
WHERE left(h.region_code, $region_digits) <> left(v.region_code, $region_digits)
WITH r.card_id AS card_id,
  count(DISTINCT [provider_id, operator_id, day, toString(burst)]) AS far_bursts,
  count(DISTINCT provider_id) AS pharmacies,
  collect({provider_id: provider_id, operator_id: operator_id, day: day, burst: burst,
    burst_cards: burst_cards, c: r.c, card_id: r.card_id, address_key: h.address_key}) AS rows
WHERE far_bursts >= $min_bursts AND pharmacies >= 2
UNWIND rows AS x
WITH x.provider_id AS provider_id, x.operator_id AS operator_id, x.day AS day,
  x.burst AS burst, count(DISTINCT x.card_id) AS cards, collect(x) AS rows
WHERE cards >= 2
UNWIND rows AS x
WITH x, COUNT {
  MATCH (s:Claim {provider_id: x.provider_id})
  WHERE s.operator_id = x.operator_id AND s.kind = 'pharmacy'
    AND coalesce(s.card_id, s.person_id) = x.card_id
    AND ($since IS NULL OR s.start_time >= $since) AND ($until IS NULL OR s.start_time <= $until)
} AS card_swipes
RETURN x.provider_id AS provider_id, x.operator_id AS operator_id, x.day AS day,
  x.burst AS burst, x.card_id AS card_id, x.c.person_id AS person_id,
  x.address_key AS address_key, x.c.claim_id AS claim_id, card_swipes,
  x.burst_cards AS burst_cards
ORDER BY provider_id, operator_id, day, burst, card_id, claim_id
