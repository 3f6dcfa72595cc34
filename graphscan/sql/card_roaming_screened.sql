-- Card lending across outlets, first step of card_roaming.sql (the embedded store runs
-- the three): the cards that can travel, with at least $min_bursts pharmacy swipes far
-- from home (the holder's region, persons.region_code, and the pharmacy's differ in
-- their first $region_digits characters) at two or more pharmacies. A card with
-- $min_bursts far bursts has at least as many far swipes: this screen needs no bursts,
-- so it reads the whole window at once.
-- Parameters: $since, $until (TIMESTAMP or NULL), $min_bursts, $region_digits (INTEGER)
-- Output columns:
--   card_id  VARCHAR, a card (person_id when the claim has no card)
SELECT coalesce(c.card_id, c.person_id) AS card_id
FROM claims c
-- joined one table at a time (LEFT, then filtered): never persons x providers first
LEFT JOIN persons h ON h.person_id = c.person_id
LEFT JOIN providers v ON v.provider_id = c.provider_id
WHERE c.kind = 'pharmacy'
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  AND left(h.region_code, $region_digits) <> left(v.region_code, $region_digits)
GROUP BY 1
HAVING count(*) >= $min_bursts AND count(DISTINCT c.provider_id) >= 2
