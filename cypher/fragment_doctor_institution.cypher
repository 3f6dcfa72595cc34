// Fragment, not a statement: a prescription's institution for Neo4j, spliced by
// graphscan.cypher.read_cypher into prescription_flows and prescription_flow_claims, as
// the institution CTE of sent_by_visit in graphscan/sql/macros.sql is for DuckDB. Input
// rows: kept (whatever the statement carries through) and doctor_id. Output rows: kept,
// doctor_id, institution (the doctor's listed provider, else the one where the doctor
// treats most, ties by provider id, else '').
OPTIONAL MATCH (d:Doctor {doctor_id: doctor_id})
WITH kept, doctor_id, d.provider_id AS listed, COLLECT {
    MATCH (x:Claim) WHERE x.doctor_id = doctor_id AND x.kind <> 'pharmacy'
    WITH x.provider_id AS provider_id, count(*) AS n
    RETURN provider_id ORDER BY n DESC, provider_id LIMIT 1
  } AS modal
WITH kept, doctor_id, coalesce(listed, modal[0], '') AS institution
