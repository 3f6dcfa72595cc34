// Twin of graphscan/sql/card_conflicts.sql: same parameters ($since, $until,
// $region_digits), columns and order; see there for the seven reasons. DuckDB's regexp_matches searches, Cypher's =~
// matches the whole string, hence the trailing .*; date_diff('year') is a difference of
// calendar years. A provider known only from claims is 'pharmacy' when labelled so.
CALL () {
  MATCH (c:Claim)
  WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  WITH c.provider_id AS provider_id, coalesce(c.operator_id, '') AS operator_id,
    count(DISTINCT coalesce(c.card_id, c.person_id)) AS cards
  RETURN collect({provider_id: provider_id, operator_id: operator_id, cards: cards})
    AS volume, sum(cards) AS all_cards
}
CALL () {
  // per (provider, operator): how long the patients of its admissions lay in hospital
  // elsewhere, less the two days' margin of an overlap
  MATCH (c:Claim {kind: 'inpatient'})
  WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  MATCH (s:Claim {kind: 'inpatient', person_id: c.person_id})
  WHERE s.end_time IS NOT NULL AND s.provider_id <> c.provider_id
    AND ($since IS NULL OR s.start_time >= $since) AND ($until IS NULL OR s.start_time <= $until)
  WITH c, duration.inSeconds(s.start_time, s.end_time).seconds - 172800 AS span
  WITH c.provider_id AS provider_id, coalesce(c.operator_id, '') AS operator_id,
    sum(CASE WHEN span > 0 THEN span ELSE 0 END) AS seconds
  RETURN collect({provider_id: provider_id, operator_id: operator_id, seconds: seconds})
    AS overlap_volume
}
CALL () {
  // per inpatient stay of a holder with visits or purchases elsewhere: those far away
  // inside the stay and in all, and whether the holder lives outside the county
  MATCH (s:Claim {kind: 'inpatient'})
  WHERE ($since IS NULL OR s.start_time >= $since) AND ($until IS NULL OR s.start_time <= $until)
  WITH s, CASE WHEN s.end_time IS NOT NULL
    THEN duration.inSeconds(localdatetime({date: date(s.start_time)}) + duration({days: 1}),
      s.end_time).seconds / 86400.0 END AS inner_days
  OPTIONAL MATCH (x:Provider {provider_id: s.provider_id})
  MATCH (o:Claim {person_id: s.person_id})
  WHERE o.kind <> 'inpatient' AND o.provider_id <> s.provider_id
    AND ($since IS NULL OR o.start_time >= $since) AND ($until IS NULL OR o.start_time <= $until)
  OPTIONAL MATCH (y:Provider {provider_id: o.provider_id})
  WITH s, inner_days, o, coalesce(CASE WHEN x.region_code <> '' THEN x.region_code END,
    CASE WHEN s.provider_id =~ '[HP][0-9]{6}.*'
         THEN substring(s.provider_id, 1, 6) END) AS at,
    coalesce(CASE WHEN y.region_code <> '' THEN y.region_code END,
    CASE WHEN o.provider_id =~ '[HP][0-9]{6}.*'
         THEN substring(o.provider_id, 1, 6) END) AS there
  WITH s, inner_days, o,
    at IS NULL OR there IS NULL OR left(at, $region_digits) <> left(there, $region_digits)
      AS far,
    coalesce(date(o.start_time) > date(s.start_time)
      AND o.start_time < s.end_time, false) AS during
  WITH s, inner_days, sum(CASE WHEN far AND during THEN 1 ELSE 0 END) AS inside,
    sum(CASE WHEN far THEN 1 ELSE 0 END) AS total, count(o) AS seen
  // holders who live far away: most of their visits and purchases are far from here
  RETURN collect({s: s, inside: inside, total: total, inner_days: inner_days,
    outside: 2 * total > seen}) AS placed_stays
}
CALL (placed_stays) {
  UNWIND placed_stays AS x
  WITH x.s.provider_id AS provider_id,
    count(DISTINCT coalesce(x.s.card_id, x.s.person_id)) AS inpatients
  RETURN collect({provider_id: provider_id, inpatients: inpatients}) AS placed
}
CALL () {
  MATCH (c:Claim)
  WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  RETURN duration.inDays(min(date(c.start_time)), max(date(c.start_time))).days + 1
    AS window_days, min(date(c.start_time)) AS window_start
}
CALL () {
  OPTIONAL MATCH (p:Person) WHERE p.death_date IS NOT NULL
  RETURN count(p) > 0 AS deaths_known
}
CALL (window_days, window_start, deaths_known) {
  // silent (only where no death is recorded): a stay admitted after the holder's last
  // other claim of the window, when n >= 3 claims all falling before it is improbable
  MATCH (s:Claim {kind: 'inpatient'})
  WHERE NOT deaths_known
    AND ($since IS NULL OR s.start_time >= $since) AND ($until IS NULL OR s.start_time <= $until)
  MATCH (o:Claim {person_id: s.person_id})
  WHERE NOT (o.kind = 'inpatient' AND o.provider_id = s.provider_id)
    AND ($since IS NULL OR o.start_time >= $since) AND ($until IS NULL OR o.start_time <= $until)
  WITH s, count(o) AS n, max(date(o.start_time)) AS last
  WHERE n >= 3
  WITH s, n, last, (duration.inDays(window_start, last).days + 1.0) / window_days AS last_share,
    CASE WHEN duration.inDays(window_start, date(s.start_time)).days > 0
      THEN duration.inDays(window_start, date(s.start_time)).days ELSE 0 END
      * 1.0 / window_days AS admitted_share
  RETURN collect({s: s, silent: last < date(s.start_time) AND last_share ^ n < 0.01,
    expected: CASE WHEN admitted_share ^ n < 0.01 THEN admitted_share ^ n ELSE 0.01 END})
    AS silent_stays
}
CALL (silent_stays) {
  UNWIND silent_stays AS x
  WITH x.s.provider_id AS provider_id, coalesce(x.s.operator_id, '') AS operator_id,
    round(sum(x.expected), 6) AS expected
  RETURN collect({provider_id: provider_id, operator_id: operator_id, expected: expected})
    AS silent_volume
}
CALL () {
  // per institution with inpatient stays: its outpatients whose home is known (visits or
  // purchases at other providers) and those who live outside its county (most of those
  // visits and purchases far away)
  MATCH (s:Claim {kind: 'inpatient'})
  WHERE ($since IS NULL OR s.start_time >= $since) AND ($until IS NULL OR s.start_time <= $until)
  WITH DISTINCT s.provider_id AS provider_id
  MATCH (v:Claim {provider_id: provider_id})
  WHERE v.kind <> 'inpatient'
    AND ($since IS NULL OR v.start_time >= $since) AND ($until IS NULL OR v.start_time <= $until)
  WITH DISTINCT provider_id, v.person_id AS person_id
  OPTIONAL MATCH (x:Provider {provider_id: provider_id})
  WITH provider_id, person_id, coalesce(CASE WHEN x.region_code <> '' THEN x.region_code END,
    CASE WHEN provider_id =~ '[HP][0-9]{6}.*' THEN substring(provider_id, 1, 6) END) AS at
  MATCH (o:Claim {person_id: person_id})
  WHERE o.kind <> 'inpatient' AND o.provider_id <> provider_id
    AND ($since IS NULL OR o.start_time >= $since) AND ($until IS NULL OR o.start_time <= $until)
  OPTIONAL MATCH (y:Provider {provider_id: o.provider_id})
  WITH provider_id, person_id, at, coalesce(CASE WHEN y.region_code <> '' THEN y.region_code END,
    CASE WHEN o.provider_id =~ '[HP][0-9]{6}.*'
         THEN substring(o.provider_id, 1, 6) END) AS there
  WITH provider_id, person_id,
    sum(CASE WHEN at IS NULL OR there IS NULL OR left(at, $region_digits) <> left(there, $region_digits)
        THEN 1 ELSE 0 END) AS far, count(*) AS seen
  WITH provider_id, count(*) AS placed, sum(CASE WHEN 2 * far > seen THEN 1 ELSE 0 END) AS outside
  RETURN collect({provider_id: provider_id, placed: placed, outside: outside}) AS outpatients
}
CALL (placed_stays, silent_stays, window_days) {
  MATCH (p:Person)<-[:BY]-(c:Claim)
  WHERE p.death_date IS NOT NULL AND date(c.start_time) > p.death_date
    AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  RETURN c, 'after_death' AS reason, 0.0 AS far_chance
  UNION
  MATCH (s:Claim {kind: 'inpatient'})
  WHERE s.end_time IS NOT NULL
    AND ($since IS NULL OR s.start_time >= $since) AND ($until IS NULL OR s.start_time <= $until)
  MATCH (c:Claim {person_id: s.person_id})
  WHERE c.kind = 'inpatient' AND c.provider_id <> s.provider_id
    AND c.start_time > s.start_time + duration({days: 1})
    AND c.start_time < s.end_time - duration({days: 1})
    AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  RETURN c, 'overlap' AS reason, 0.0 AS far_chance
  UNION
  UNWIND [x IN placed_stays WHERE x.outside AND x.inner_days > 0 AND x.inside > 0 | x.s] AS c
  RETURN c, 'elsewhere' AS reason, 0.0 AS far_chance
  UNION
  // a stay's chance of a far-away visit inside, at most one (see the SQL)
  UNWIND [x IN placed_stays WHERE x.outside] AS x
  WITH x, (x.total - x.inside + 1) * x.inner_days / window_days AS chance
  RETURN x.s AS c, 'outsider' AS reason,
    CASE WHEN x.inner_days > 0 THEN round(CASE WHEN chance < 1.0 THEN chance ELSE 1.0 END, 6)
         ELSE 0.0 END AS far_chance
  UNION
  UNWIND [x IN silent_stays WHERE x.silent | x.s] AS c
  RETURN c, 'silent' AS reason, 0.0 AS far_chance
  UNION
  // sex and birth date: the persons table's, else those read from the ID number at load
  MATCH (p:Person)<-[:BY]-(c:Claim)
  WITH p, c, CASE WHEN coalesce(p.sex, '') <> '' THEN p.sex ELSE p.id_sex END AS sex
  WHERE ((sex IN ['M', 'male', '男'] AND c.diagnosis_code =~ '(?s)(O|C5[345]|N[89]).*')
      OR (sex IN ['F', 'female', '女'] AND c.diagnosis_code =~ '(?s)(N4[012]|C61).*'))
    AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  RETURN c, 'sex' AS reason, 0.0 AS far_chance
  UNION
  MATCH (p:Person)<-[:BY]-(c:Claim)
  WITH p, c, coalesce(p.birth_date, p.id_birth_date) AS born
  WHERE born IS NOT NULL
    AND ((c.diagnosis_code =~ '(?s)O.*'
          AND NOT date(c.start_time).year - born.year IN range(12, 55))
      OR (c.diagnosis_code =~ '(?s)P.*' AND date(c.start_time).year - born.year > 1))
    AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  RETURN c, 'age' AS reason, 0.0 AS far_chance
}
WITH volume, all_cards, overlap_volume, silent_volume, placed, outpatients,
  window_days, c, reason, far_chance,
  coalesce(c.operator_id, '') AS operator_id
OPTIONAL MATCH (v:Provider {provider_id: c.provider_id})
RETURN c.claim_id AS claim_id, coalesce(c.card_id, c.person_id) AS card_id,
  c.person_id AS person_id, c.provider_id AS provider_id,
  coalesce(v.kind, CASE WHEN v:Pharmacy THEN 'pharmacy' END, '') AS provider_kind,
  operator_id, c.doctor_id AS doctor_id, reason,
  [x IN volume WHERE x.provider_id = c.provider_id AND x.operator_id = operator_id][0].cards
    AS operator_cards,
  all_cards,
  coalesce([x IN overlap_volume WHERE x.provider_id = c.provider_id
            AND x.operator_id = operator_id][0].seconds, 0) AS overlap_seconds,
  far_chance,
  reduce(t = 0, x IN overlap_volume |
    t + CASE WHEN x.provider_id = c.provider_id THEN x.seconds ELSE 0 END)
    AS provider_overlap_seconds,
  coalesce([x IN silent_volume WHERE x.provider_id = c.provider_id
            AND x.operator_id = operator_id][0].expected, 0.0) AS silent_expected,
  round(reduce(t = 0.0, x IN silent_volume |
    t + CASE WHEN x.provider_id = c.provider_id THEN x.expected ELSE 0 END), 6)
    AS provider_silent_expected,
  coalesce([x IN placed WHERE x.provider_id = c.provider_id][0].inpatients, 0)
    AS placed_inpatients,
  coalesce([x IN outpatients WHERE x.provider_id = c.provider_id][0].placed, 0)
    AS placed_outpatients,
  coalesce([x IN outpatients WHERE x.provider_id = c.provider_id][0].outside, 0)
    AS outside_outpatients,
  duration.inDays(date('1970-01-01'), date(c.start_time)).days AS admitted_day,
  window_days
ORDER BY provider_id, operator_id, card_id, claim_id, reason
