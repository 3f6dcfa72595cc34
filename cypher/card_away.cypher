// Twin of graphscan/sql/card_away.sql: same parameters ($since, $until, $pharmacies,
// $region_digits), columns and order. Home is the holder's region cut to $region_digits
// characters, else the regions of the other providers where the card was used.
MATCH (c:Claim {kind: 'pharmacy'})
WHERE c.provider_id IN $pharmacies
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH c.provider_id AS provider_id, coalesce(c.card_id, c.person_id) AS card_id,
  min(c.person_id) AS person_id, count(c) AS swipes
OPTIONAL MATCH (v:Provider {provider_id: provider_id})
WITH provider_id, card_id, person_id, swipes, left(v.region_code, $region_digits) AS region
OPTIONAL MATCH (h:Person {person_id: person_id})
WITH provider_id, card_id, swipes, region, left(h.region_code, $region_digits) AS home, COLLECT {
  MATCH (u:Claim)
  WHERE (u.card_id = card_id OR (u.card_id IS NULL AND u.person_id = card_id))
    AND u.provider_id <> provider_id
    AND ($since IS NULL OR u.start_time >= $since) AND ($until IS NULL OR u.start_time <= $until)
  MATCH (w:Provider {provider_id: u.provider_id}) WHERE w.region_code IS NOT NULL
  RETURN DISTINCT {place: u.provider_id, at: left(w.region_code, $region_digits)} AS place
} AS elsewhere
WITH provider_id, card_id, swipes,
  CASE WHEN region IS NULL THEN NULL
       WHEN home IS NOT NULL THEN 'address'
       WHEN size(elsewhere) > 0 THEN 'claims' END AS basis,
  home, region, size([e IN elsewhere WHERE e.at = region]) AS near
RETURN provider_id, card_id, basis,
  CASE basis WHEN 'address' THEN CASE WHEN home <> region THEN 1 ELSE 0 END
             WHEN 'claims' THEN CASE WHEN near = 0 THEN 1 ELSE 0 END END AS away,
  swipes
ORDER BY provider_id, card_id
