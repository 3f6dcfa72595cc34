// Twin of graphscan/sql/persons_by_phone.sql: same parameter ($phones), columns and order.
MATCH (p:Person)
WHERE p.phone_key IN $phones
OPTIONAL MATCH (p)<-[:BY]-(c:Claim)
WITH DISTINCT p.phone_key AS phone_key, p.person_id AS person_id,
  coalesce(c.card_id, c.person_id) AS card_id
RETURN phone_key, person_id, card_id
ORDER BY phone_key, person_id, card_id
