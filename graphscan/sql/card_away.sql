-- Card lending: is a card swiped at a pharmacy far from its holder's usual places? Home is
-- the holder's region (persons.region_code) cut to its first $region_digits characters (9:
-- the township of a national 12-digit division code); when the holder's region is unknown,
-- the regions of the other providers where the card was used stand in. A provider's region
-- is provider_region in macros.sql (the providers table, else the county of its national
-- code). A card is away when the pharmacy's region differs from home (or from every other
-- place the card was used), compared on the digits both know (regions_differ: a county
-- from a code against a township is judged by county).
-- Only pharmacy claims at $pharmacies are judged; every claim of the card counts as a place.
-- The card's swipes there say whether it is a stranger at the pharmacy (seen once or twice),
-- and weigh it in the pharmacy's share of swipes by away strangers (the sessions' null).
-- Parameters: $since, $until (TIMESTAMP or NULL), $pharmacies (VARCHAR list),
--             $region_digits (INTEGER)
-- Output columns:
--   provider_id  a pharmacy of $pharmacies
--   card_id      a card swiped there (person_id when the claim has no card)
--   basis        VARCHAR, 'address' (holder's region), 'claims' (other providers used) or
--                NULL (nothing known: away is NULL)
--   away         INTEGER, 1 away from home, 0 at home
--   swipes       BIGINT, the card's pharmacy claims at provider_id in the window
-- Order: provider_id, card_id
WITH used AS (
    SELECT kind, provider_id, coalesce(card_id, person_id) AS card_id, person_id
    FROM claims
    WHERE ($since IS NULL OR start_time >= $since) AND ($until IS NULL OR start_time <= $until)
), place AS (
    SELECT provider_id, left(provider_region(provider_id, p.region_code), $region_digits) AS region
    FROM (SELECT DISTINCT provider_id FROM used) LEFT JOIN providers p USING (provider_id)
    WHERE region IS NOT NULL
), seen AS (
    SELECT u.provider_id, u.card_id, min(u.person_id) AS person_id, count(*) AS swipes, p.region
    FROM used u LEFT JOIN place p USING (provider_id)
    WHERE u.kind = 'pharmacy' AND list_contains($pharmacies, u.provider_id)
    GROUP BY u.provider_id, u.card_id, p.region
), homeless AS (
    -- cards whose holder's region is unknown: only they need their other places
    SELECT s.* FROM seen s LEFT JOIN persons h ON h.person_id = s.person_id
    WHERE h.region_code IS NULL
), elsewhere AS (
    -- other providers each card was used at, and whether any is in the pharmacy's region
    SELECT s.provider_id, s.card_id, count(DISTINCT u.provider_id) AS places,
           count(DISTINCT CASE WHEN NOT regions_differ(p.region, s.region)
                               THEN u.provider_id END) AS near
    FROM homeless s
    JOIN used u ON u.card_id = s.card_id AND u.provider_id <> s.provider_id
    JOIN place p ON p.provider_id = u.provider_id
    GROUP BY s.provider_id, s.card_id
), judged AS (
    SELECT s.provider_id, s.card_id, s.swipes,
           CASE WHEN s.region IS NULL THEN NULL
                WHEN h.region_code IS NOT NULL THEN 'address'
                WHEN e.places > 0 THEN 'claims' END AS basis,
           left(h.region_code, $region_digits) AS home, s.region, e.near
    FROM seen s
    LEFT JOIN persons h ON h.person_id = s.person_id
    LEFT JOIN elsewhere e USING (provider_id, card_id)
)
SELECT provider_id, card_id, basis,
       CASE basis WHEN 'address' THEN regions_differ(home, region)::INTEGER
                  WHEN 'claims' THEN (near = 0)::INTEGER END AS away,
       swipes
FROM judged
ORDER BY provider_id, card_id
