// Twin of graphscan/sql/prescription_flows.sql: same parameters ($since, $until,
// $high_value, $region_digits), columns and order. A purchase naming no doctor takes the
// doctor of the person's latest outpatient visit on the same or the previous day, at or
// before it; a prescription's institution is the doctor's listed one, else where the
// doctor treats most. Regions as provider_region in macros.sql (the providers table, else
// the county in the national code); a home or region shorter than $region_digits is never
// near. Amounts are integer fen, compared in yuan as DuckDB compares a DECIMAL with a
// DOUBLE; a purchase with item lines is valued by its drug lines.
MATCH (c:Claim {kind: 'pharmacy'})
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
OPTIONAL MATCH (c)-[:HAS_ITEM]->(i:ClaimItem)
WITH c, count(i) AS lines,
  sum(CASE WHEN i.item_kind = 'drug' THEN i.amount_cents END) AS drug_cents
WITH c, lines > 0 AS by_items,
  CASE WHEN lines = 0 THEN c.total_cents ELSE drug_cents END / 100.0 >= $high_value AS high,
  COLLECT {
    MATCH (c)-[:BY]->(:Person)<-[:BY]-(v:Claim {kind: 'outpatient'})
    WHERE c.doctor_id IS NULL AND v.start_time <= c.start_time
      AND date(v.start_time) >= date(c.start_time) - duration('P1D')
    RETURN v ORDER BY v.start_time DESC, v.claim_id DESC LIMIT 1
  } AS visits
WITH c, by_items, high, visits[0] AS v
WHERE c.doctor_id IS NOT NULL OR v IS NOT NULL
WITH coalesce(c.doctor_id, v.doctor_id, '') AS doctor_id,
  collect({c: c, v: v, by_items: by_items, high: high}) AS rows
WITH rows AS kept, doctor_id
// include: fragment_doctor_institution
UNWIND kept AS r
WITH CASE WHEN r.v IS NULL THEN institution ELSE r.v.provider_id END AS institution_id, doctor_id, r.c.provider_id AS pharmacy_id, r.c.person_id AS person_id,
  r.c AS c, r.high AS high, r.v IS NULL AS named, r.by_items AS by_items
WITH institution_id, doctor_id, pharmacy_id, person_id,
  count(CASE WHEN high THEN 1 END) AS hv_claims,
  sum(CASE WHEN high THEN c.total_cents END) AS hv_cents,
  count(CASE WHEN high AND named THEN 1 END) AS prescribed,
  count(CASE WHEN high AND by_items THEN 1 END) AS by_items
OPTIONAL MATCH (f:Provider {provider_id: pharmacy_id})
OPTIONAL MATCH (p:Person {person_id: person_id})
WITH institution_id, doctor_id, pharmacy_id, person_id, hv_claims, hv_cents, prescribed,
  by_items, p.region_code AS home, coalesce(CASE WHEN f.region_code <> '' THEN f.region_code END,
    CASE WHEN pharmacy_id =~ '[HP][0-9]{6}.*' THEN substring(pharmacy_id, 1, 6) END)
    AS pharmacy_code
WITH institution_id, doctor_id, pharmacy_id, pharmacy_code, count(*) AS patients,
  count(CASE WHEN hv_claims > 0 THEN 1 END) AS hv_patients, sum(hv_claims) AS hv_claims,
  count(CASE WHEN hv_claims >= 2 THEN 1 END) AS repeat_patients, sum(hv_cents) AS hv_cents,
  sum(prescribed) AS prescribed, sum(by_items) AS by_items,
  collect({person: person_id, home: home, hv: hv_claims > 0}) AS people
// a pharmacy not placed to $region_digits: where most of its walk-in customers live (no
// doctor named, no visit the same or the day before), within its national code's county
WITH pharmacy_id, pharmacy_code, collect({institution_id: institution_id,
  doctor_id: doctor_id, patients: patients, hv_patients: hv_patients, hv_claims: hv_claims,
  repeat_patients: repeat_patients, hv_cents: hv_cents, prescribed: prescribed,
  by_items: by_items, people: people}) AS flows
WITH pharmacy_id, pharmacy_code, flows,
  CASE WHEN coalesce(size(pharmacy_code), 0) >= $region_digits THEN [] ELSE COLLECT {
    MATCH (w:Claim)-[:BY]->(q:Person)
    WHERE w.provider_id = pharmacy_id AND w.kind = 'pharmacy' AND w.doctor_id IS NULL
      AND ($since IS NULL OR w.start_time >= $since)
      AND ($until IS NULL OR w.start_time <= $until)
      AND size(q.region_code) >= $region_digits
      AND (pharmacy_code IS NULL OR left(q.region_code, size(pharmacy_code)) = pharmacy_code)
      AND NOT EXISTS {
        MATCH (q)<-[:BY]-(v:Claim {kind: 'outpatient'})
        WHERE v.start_time <= w.start_time
          AND date(v.start_time) >= date(w.start_time) - duration('P1D')
      }
    WITH left(q.region_code, $region_digits) AS town, count(DISTINCT q) AS n
    RETURN town ORDER BY n DESC, town LIMIT 1
  } END AS seat
WITH pharmacy_id, flows, coalesce(seat[0], pharmacy_code) AS pharmacy_region
UNWIND flows AS r
WITH r.institution_id AS institution_id, r, pharmacy_id, pharmacy_region,
  size([x IN r.people WHERE size(x.home) >= $region_digits
    AND size(pharmacy_region) >= $region_digits
    AND left(x.home, $region_digits) = left(pharmacy_region, $region_digits)]) AS home_patients,
  size([x IN r.people WHERE x.hv AND size(x.home) >= $region_digits
    AND size(pharmacy_region) >= $region_digits
    AND left(x.home, $region_digits) = left(pharmacy_region, $region_digits)]) AS hv_home
// the doctor's distinct patients (at any pharmacy) by home town, and the institution's
// summed over its doctors
WITH institution_id, r.doctor_id AS doctor_id, collect({r: r, pharmacy_id: pharmacy_id,
  pharmacy_region: pharmacy_region, home_patients: home_patients, hv_home: hv_home}) AS rows,
  collect(r.people) AS lists
CALL {
  WITH lists
  UNWIND lists AS people
  UNWIND people AS x
  WITH x WHERE size(x.home) >= $region_digits
  WITH left(x.home, $region_digits) AS town, x.person AS person,
    max(CASE WHEN x.hv THEN 1 ELSE 0 END) AS hv
  WITH town, count(*) AS n, sum(hv) AS n_hv
  RETURN collect({town: town, n: n, hv: n_hv}) AS towns
}
WITH institution_id, collect({doctor_id: doctor_id, rows: rows, towns: towns}) AS doctors
CALL {
  WITH doctors
  UNWIND doctors AS d
  UNWIND d.towns AS t
  WITH t.town AS town, sum(t.n) AS n
  RETURN collect({town: town, n: n}) AS inst_towns
}
UNWIND doctors AS d
UNWIND d.rows AS f
WITH institution_id, d, f, inst_towns, f.r AS r, f.pharmacy_id AS pharmacy_id,
  f.pharmacy_region AS pharmacy_region, f.home_patients AS home_patients,
  f.hv_home AS hv_home, CASE WHEN size(f.pharmacy_region) >= $region_digits
    THEN left(f.pharmacy_region, $region_digits) END AS town
WITH institution_id, r, pharmacy_id, pharmacy_region, home_patients, hv_home,
  [t IN d.towns WHERE t.town = town] AS mine, [t IN inst_towns WHERE t.town = town] AS theirs
OPTIONAL MATCH (i:Provider {provider_id: institution_id})
RETURN institution_id, r.doctor_id AS doctor_id, pharmacy_id,
  coalesce(CASE WHEN i.region_code <> '' THEN i.region_code END,
    CASE WHEN institution_id =~ '[HP][0-9]{6}.*' THEN substring(institution_id, 1, 6) END)
    AS institution_region, pharmacy_region, r.patients AS patients,
  r.hv_patients AS hv_patients, r.hv_claims AS hv_claims,
  r.repeat_patients AS repeat_patients, r.hv_cents / 100.0 AS hv_amount,
  r.prescribed AS prescribed, r.by_items AS by_items, home_patients, hv_home,
  coalesce(mine[0].n, 0) AS town_patients, coalesce(mine[0].hv, 0) AS hv_town,
  coalesce(theirs[0].n, 0) AS inst_town_patients
ORDER BY institution_id, doctor_id, pharmacy_id
