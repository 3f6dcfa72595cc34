// Twin of graphscan/sql/entity_ids_like.sql: same parameters ($id_head, $id_tail),
// columns and order.
MATCH (c:Claim)
UNWIND [c.person_id, c.card_id, c.doctor_id, c.provider_id, c.operator_id] AS entity_id
WITH DISTINCT entity_id
WHERE entity_id STARTS WITH $id_head AND entity_id ENDS WITH $id_tail
  AND size(entity_id) > size($id_head) + size($id_tail)
RETURN entity_id
ORDER BY entity_id
