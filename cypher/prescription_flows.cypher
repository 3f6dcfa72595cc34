// Twin of graphscan/sql/prescription_flows.sql: same parameters ($since, $until,
// $high_value), columns and order. Each SQL window sum becomes one step: group the flows,
// sum, and unwind them again with the sum added.
MATCH (c:Claim {kind: 'pharmacy'})
WHERE c.doctor_id IS NOT NULL AND c.total_cents / 100.0 >= $high_value
  AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH c.doctor_id AS doctor_id, c.provider_id AS pharmacy_id, c.person_id AS person_id,
  count(*) AS claims, sum(c.total_cents) AS cents
WITH doctor_id, pharmacy_id, sum(claims) AS claims, count(*) AS patients,
  count(CASE WHEN claims >= 2 THEN 1 END) AS repeat_patients, sum(cents) AS cents
OPTIONAL MATCH (d:Doctor {doctor_id: doctor_id})
WITH doctor_id, sum(claims) AS total, collect({doctor_id: doctor_id, pharmacy_id: pharmacy_id,
  institution_id: coalesce(d.provider_id, ''), claims: claims, patients: patients,
  repeat_patients: repeat_patients, cents: cents}) AS flows
UNWIND flows AS f
WITH f {.*, doctor_claims: total} AS f
WITH f.institution_id AS institution, f.pharmacy_id AS pharmacy, sum(f.claims) AS total,
  collect(f) AS flows
UNWIND flows AS f
WITH f {.*, peers_to_pharmacy: total} AS f
WITH f.institution_id AS institution, sum(f.claims) AS total, collect(f) AS flows
UNWIND flows AS f
WITH f {.*, peers_claims: total} AS f
WITH f.pharmacy_id AS pharmacy, sum(f.claims) AS total, collect(f) AS flows
UNWIND flows AS f
WITH f {.*, pharmacy_claims: total} AS f
WITH sum(f.claims) AS total, collect(f) AS flows
UNWIND flows AS f
RETURN f.doctor_id AS doctor_id, f.pharmacy_id AS pharmacy_id,
  f.institution_id AS institution_id, f.claims AS claims, f.patients AS patients,
  f.repeat_patients AS repeat_patients, f.cents / 100.0 AS total_amount, f.doctor_claims AS doctor_claims,
  f.peers_to_pharmacy AS peers_to_pharmacy, f.peers_claims AS peers_claims,
  f.pharmacy_claims AS pharmacy_claims, total AS all_claims
ORDER BY doctor_id, pharmacy_id
