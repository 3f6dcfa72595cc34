-- Group hospitalisation: everyone carrying one of the given phone keys (a recruiter's
-- phone shared by recruits), with the cards their claims were made with.
-- Parameters: $phones (VARCHAR list)
-- Output columns: phone_key, person_id, card_id (NULL when the person has no claims)
-- Order: phone_key, person_id, card_id
SELECT DISTINCT p.phone_key, p.person_id, coalesce(c.card_id, c.person_id) AS card_id
FROM persons p LEFT JOIN claims c ON c.person_id = p.person_id
WHERE list_contains($phones, p.phone_key)
ORDER BY p.phone_key, p.person_id, card_id
