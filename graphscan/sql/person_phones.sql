-- Evidence: the phone keys of the given persons, so the case page can draw an organiser
-- who has no claims of their own by the phone the recruits share with them.
-- Parameters: $person_ids (VARCHAR list)
-- Output columns: person_id, phone_key (VARCHAR)
-- Order: person_id
SELECT person_id, phone_key
FROM persons
WHERE list_contains($person_ids, person_id) AND phone_key IS NOT NULL
ORDER BY person_id
