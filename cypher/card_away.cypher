// Twin of graphscan/sql/card_away.sql: same parameters ($since, $until, $pharmacies,
// $region_digits), columns and order. Home is the holder's region cut to $region_digits
// characters, else the regions of the other providers where the card was used; a
// provider's region as provider_region in macros.sql (the providers table, else the county
// of its national code); regions compared on the digits both know (regions_differ).
MATCH (c:Claim {kind: 'pharmacy'})
WHERE c.provider_id IN $pharmacies
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH c.provider_id AS provider_id, coalesce(c.card_id, c.person_id) AS card_id,
  min(c.person_id) AS person_id, count(c) AS swipes
OPTIONAL MATCH (v:Provider {provider_id: provider_id})
WITH provider_id, card_id, person_id, swipes,
  left(coalesce(CASE WHEN v.region_code <> '' THEN v.region_code END,
    CASE WHEN provider_id =~ '[HP][0-9]{6}.*' THEN substring(provider_id, 1, 6) END),
    $region_digits) AS region
OPTIONAL MATCH (h:Person {person_id: person_id})
WITH provider_id, card_id, swipes, region, left(h.region_code, $region_digits) AS home, COLLECT {
  MATCH (u:Claim)
  WHERE (u.card_id = card_id OR (u.card_id IS NULL AND u.person_id = card_id))
    AND u.provider_id <> provider_id
    AND ($since IS NULL OR u.start_time >= $since) AND ($until IS NULL OR u.start_time <= $until)
  OPTIONAL MATCH (w:Provider {provider_id: u.provider_id})
  WITH u, coalesce(CASE WHEN w.region_code <> '' THEN w.region_code END,
    CASE WHEN u.provider_id =~ '[HP][0-9]{6}.*' THEN substring(u.provider_id, 1, 6) END) AS code
  WHERE code IS NOT NULL
  RETURN DISTINCT {place: u.provider_id, at: left(code, $region_digits)} AS place
} AS elsewhere
WITH provider_id, card_id, swipes,
  CASE WHEN region IS NULL THEN NULL
       WHEN home IS NOT NULL THEN 'address'
       WHEN size(elsewhere) > 0 THEN 'claims' END AS basis,
  home, region, size([e IN elsewhere WHERE left(e.at, size(region)) = left(region, size(e.at))])
  AS near
RETURN provider_id, card_id, basis,
  CASE basis WHEN 'address' THEN CASE WHEN left(home, size(region)) <> left(region, size(home))
                                 THEN 1 ELSE 0 END
             WHEN 'claims' THEN CASE WHEN near = 0 THEN 1 ELSE 0 END END AS away,
  swipes
ORDER BY provider_id, card_id
