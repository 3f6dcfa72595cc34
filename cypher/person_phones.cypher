// Twin of graphscan/sql/person_phones.sql: same parameter ($person_ids), columns and order.
MATCH (p:Person)
WHERE p.person_id IN $person_ids AND p.phone_key IS NOT NULL
RETURN p.person_id AS person_id, p.phone_key AS phone_key
ORDER BY person_id
