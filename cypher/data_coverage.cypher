// Twin of graphscan/sql/data_coverage.sql: same parameters ($since, $until), columns and
// order. Persons and providers counted as the embedded tables hold them (listed or named
// by a claim), doctors too.
CALL () {
  MATCH (c:Claim)
  WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  WITH c.kind AS kind, count(*) AS n,
    sum(CASE WHEN coalesce(c.card_id, '') <> '' THEN 1 ELSE 0 END) AS card_id,
    sum(CASE WHEN coalesce(c.doctor_id, '') <> '' THEN 1 ELSE 0 END) AS doctor_id,
    sum(CASE WHEN coalesce(c.operator_id, '') <> '' THEN 1 ELSE 0 END) AS operator_id,
    count(c.end_time) AS end_time,
    sum(CASE WHEN coalesce(c.diagnosis_code, '') <> '' THEN 1 ELSE 0 END) AS diagnosis_code
  UNWIND [['card_id', card_id], ['doctor_id', doctor_id], ['operator_id', operator_id],
          ['end_time', end_time], ['diagnosis_code', diagnosis_code]] AS cell
  RETURN 'claims' AS source, kind, cell[0] AS field, n AS rows, cell[1] AS filled
  UNION ALL
  OPTIONAL MATCH (p:Person)
  WITH count(p) AS n,
    sum(CASE WHEN coalesce(p.sex, '') <> '' THEN 1 ELSE 0 END) AS sex,
    count(p.birth_date) AS birth_date, count(p.death_date) AS death_date,
    sum(CASE WHEN coalesce(p.region_code, '') <> '' THEN 1 ELSE 0 END) AS region_code,
    sum(CASE WHEN coalesce(p.address_key, '') <> '' THEN 1 ELSE 0 END) AS address_key,
    sum(CASE WHEN coalesce(p.phone_key, '') <> '' THEN 1 ELSE 0 END) AS phone_key,
    count(p.id_sex) AS id_facts
  UNWIND [['sex', sex], ['birth_date', birth_date], ['death_date', death_date],
          ['region_code', region_code], ['address_key', address_key],
          ['phone_key', phone_key], ['id_facts', id_facts]] AS cell
  RETURN 'persons' AS source, '' AS kind, cell[0] AS field, n AS rows, cell[1] AS filled
  UNION ALL
  OPTIONAL MATCH (v:Provider) WHERE v.listed OR EXISTS { (v)<-[:AT]-(:Claim) }
  WITH count(v) AS n,
    sum(CASE WHEN coalesce(v.region_code, '') <> '' THEN 1 ELSE 0 END) AS region_code,
    // a provider only claims name is a pharmacy by its label (the embedded store derives
    // its kind from its pharmacy claims)
    sum(CASE WHEN coalesce(v.kind, '') <> '' OR (NOT coalesce(v.listed, false) AND v:Pharmacy)
        THEN 1 ELSE 0 END) AS kind
  UNWIND [['region_code', region_code], ['kind', kind]] AS cell
  RETURN 'providers' AS source, '' AS kind, cell[0] AS field, n AS rows, cell[1] AS filled
  UNION ALL
  OPTIONAL MATCH (i:ClaimItem)
  WITH count(i) AS n
  RETURN 'claim_items' AS source, '' AS kind, '*' AS field, n AS rows, n AS filled
  UNION ALL
  OPTIONAL MATCH (d:Doctor)
  WITH count(d) AS n,
    sum(CASE WHEN coalesce(d.provider_id, '') <> '' THEN 1 ELSE 0 END) AS provider_id
  RETURN 'doctors' AS source, '' AS kind, 'provider_id' AS field, n AS rows,
    provider_id AS filled
}
RETURN source, kind, field, rows, filled
ORDER BY source, kind, field
