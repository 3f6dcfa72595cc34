// Twin of graphscan/sql/input_coverage.sql: same columns (one row).
CALL () {
  MATCH (c:Claim {kind: 'pharmacy'}) WHERE c.operator_id IS NOT NULL
  RETURN count(c) AS pharmacy_operator
}
CALL () {
  MATCH (c:Claim {kind: 'pharmacy'}) WHERE c.doctor_id IS NOT NULL
  RETURN count(c) AS pharmacy_doctor
}
CALL () { MATCH (c:Claim {kind: 'inpatient'}) RETURN count(c) AS inpatient_claims }
CALL () { MATCH (i:ClaimItem) RETURN count(i) AS claim_items }
CALL () {
  MATCH (p:Person)
  WHERE p.death_date IS NOT NULL OR p.birth_date IS NOT NULL OR p.sex IS NOT NULL
  RETURN count(p) AS persons_attributes
}
CALL () { MATCH (p:Person) WHERE p.phone_key IS NOT NULL RETURN count(p) AS persons_phone }
CALL () { MATCH (p:Person) WHERE p.region_code IS NOT NULL RETURN count(p) AS persons_region }
CALL () {
  MATCH (p:Provider) WHERE p.region_code IS NOT NULL RETURN count(p) AS providers_region
}
CALL () {
  MATCH (d:Doctor) WHERE d.provider_id IS NOT NULL RETURN count(d) AS doctors_provider
}
RETURN pharmacy_operator, pharmacy_doctor, inpatient_claims, claim_items, persons_attributes,
  persons_phone, persons_region, providers_region, doctors_provider
