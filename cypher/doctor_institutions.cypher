// Twin of graphscan/sql/doctor_institutions.sql: same parameter ($doctors), columns and
// order.
MATCH (d:Doctor)
WHERE d.doctor_id IN $doctors AND d.provider_id IS NOT NULL
OPTIONAL MATCH (v:Provider {provider_id: d.provider_id})
RETURN d.doctor_id AS doctor_id, d.provider_id AS institution_id, v.name AS institution_name
ORDER BY doctor_id
