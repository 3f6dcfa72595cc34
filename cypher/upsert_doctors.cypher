// Rows of the doctors table, each linked to the provider it works at.
UNWIND $rows AS row
MERGE (d:Doctor {doctor_id: row.doctor_id})
WITH d, row WHERE d.listed IS NULL
SET d += row, d.listed = true
FOREACH (provider_id IN CASE WHEN row.provider_id IS NULL THEN [] ELSE [row.provider_id] END |
  MERGE (p:Provider {provider_id: provider_id})
  MERGE (d)-[:WORKS_AT]->(p))
RETURN count(d) AS written
