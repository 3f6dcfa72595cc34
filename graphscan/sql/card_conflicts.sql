-- Identity misuse: claims where the card's holder cannot have been the patient.
--   after_death  the claim starts after the holder's death_date
--   overlap      an admission starting strictly inside another inpatient stay of the same
--                person at another provider (admitted before, discharged after, by more
--                than a day), whatever card or ID card each stay was settled with: nobody
--                lies in two hospitals at once (two stays at one provider are double
--                billing by that provider, not a borrowed card).
--   elsewhere    an inpatient stay of a holder who lives far away (most of the holder's
--                visits and purchases at other providers are far from the institution)
--                during which the same person's card (or ID card) was used for a visit or
--                a purchase far from the institution (regions differing in their first
--                $region_digits characters, a region from providers or else the national
--                code, provider_region in macros.sql; any other provider when either
--                region is unknown), after the admission day and before the discharge
--                (its time where one is recorded, else its day: a morning purchase on
--                the day of a discharge at noon is inside the stay): the holder's own
--                life going on at home while someone else lies in the bed. Relatives run
--                such errands too, so it is judged against the holders' own pace
--                (far_chance, each stay's own). A local patient's trips are no home
--                life going on elsewhere and are left out.
--   outsider     an inpatient stay of a holder who lives outside the institution's county
--                (most of the holder's visits and purchases at other providers are far
--                from it, as for elsewhere; a holder with none is not placed): borrowed
--                cards come from far away, judged against the institution's catchment
--                (placed_inpatients).
--   silent       (only where no persons table records deaths) an inpatient stay admitted
--                after the holder's last other claim of the window (every claim but
--                stays at this provider), when the holder's n other claims (at least
--                three: one or two claims tell no pace of life to stop) all falling
--                before that last one's day is improbable for claims spread evenly over
--                the window ((last day's share of the window)^n below 1%):
--                the holder's own life stopped, as a dead holder's does, and the card
--                goes on being admitted. silent_expected is what honest holders expect:
--                a stay admitted at share a of the window is flagged with chance
--                least(a^n, 0.01) when the holder's claims are independent of it
--   sex          a sex-specific diagnosis (pregnancy O*, prostate N40-N42/C61 for women;
--                cervix/uterus C53-C55, N80-N98 for men) that contradicts the holder
--   age          pregnancy (O*) outside ages 12-55, perinatal (P*) over age 1
--   (sex and age: the persons table's, else those read from the holder's resident ID
--   number at load, person_id_facts)
-- Read in ranges of providers: every reason, sum and count here is about the claims and
-- stays at one provider (the holder's claims elsewhere joined to them from the whole
-- window), so the claims at the providers from $first_provider to $last_provider
-- (provider_id order, both included; all of them when $first_provider is NULL) give
-- exactly their rows of the read in one piece, in its order. The two figures of the
-- whole window (all_cards, window_days) come from card_conflicts_totals.sql, read once
-- before the ranges and registered as _conflict_totals.
-- Parameters: $since, $until (TIMESTAMP or NULL), $region_digits (INTEGER),
--             $first_provider, $last_provider (VARCHAR: the range, set by the store)
-- Output columns:
--   claim_id, card_id (person_id when missing), person_id, provider_id,
--   provider_kind ('' when unknown), operator_id ('' when unknown), doctor_id, reason (one
--   of the above; a claim flagged for several reasons appears once per reason)
--   operator_cards  BIGINT, distinct cards the operator served at the provider in the window
--   all_cards       BIGINT, sum of operator_cards over all (provider, operator) pairs
--   overlap_seconds BIGINT, over the inpatient admissions the operator settled there: the
--                   time their holders lay in hospital elsewhere in the window (each other
--                   stay's length less the two days' margin of overlap), so that
--                   overlap_seconds / 86400 / window_days is what independence of the
--                   admission from the holder's own stays expects of overlaps
--   far_chance      DOUBLE, on the outsider row of a stay (0 on the other rows): the
--                   chance independence gives it a visit or purchase far away inside (as
--                   for elsewhere; stays, not visits: one holder's errands come in runs,
--                   a ring's stays each need one): the holder's far-away
--                   visits and purchases outside the stay, plus one (a holder whose only
--                   trips fall inside a stay still has a pace), times the stay's
--                   inner_days days (from the end of the admission day to the discharge)
--                   over window_days, at most 1, rounded to 6 decimals (fractions agree in
--                   every engine): x visits expected in a stay give it one with chance
--                   1 - e^-x, below both x and 1
--   provider_overlap_seconds  BIGINT, overlap_seconds over all operators of the provider
--                   (stays no one cashier ties together)
--   placed_inpatients BIGINT, distinct cards of the provider's inpatient stays whose
--                   holders have visits or purchases elsewhere (where they live is known)
--   placed_outpatients, outside_outpatients  BIGINT, the provider's outpatients (holders
--                   of its visits and purchases that are no stay) whose home is known
--                   (visits or purchases at other providers), and those of them who live
--                   outside its county (by the rule of outsider): the catchment the
--                   institution draws from when nobody borrows cards
--   silent_expected, provider_silent_expected  DOUBLE, over the operator's (the
--                   provider's) inpatient stays: the flags silent expects of them
--   admitted_day    BIGINT, the claim's start day (days since 1970-01-01): a campaign's
--                   outsiders are admitted within days of each other
--   window_days     BIGINT, days from the window's first claim to its last
-- Order: provider_id, operator_id, card_id, claim_id, reason
WITH c AS (
    SELECT claim_id, kind, coalesce(card_id, person_id) AS card_id, person_id, provider_id,
           coalesce(operator_id, '') AS operator_id, doctor_id, start_time, end_time,
           diagnosis_code
    FROM claims
    WHERE ($since IS NULL OR start_time >= $since) AND ($until IS NULL OR start_time <= $until)
      AND ($first_provider IS NULL OR provider_id BETWEEN $first_provider AND $last_provider)
), window_claims AS (
    -- the whole window's claims of the persons with a stay in the range (their visits
    -- elsewhere and their other stays), read straight from the table: only the range's
    -- claims (c) are held, never the city's
    SELECT person_id, kind, provider_id, start_time, end_time
    FROM claims
    WHERE ($since IS NULL OR start_time >= $since) AND ($until IS NULL OR start_time <= $until)
      AND person_id IN (SELECT person_id FROM c WHERE kind = 'inpatient')
), volume AS (
    SELECT provider_id, operator_id, count(DISTINCT card_id) AS operator_cards
    FROM c GROUP BY provider_id, operator_id
), inner_stays AS (
    SELECT c.claim_id, c.card_id, c.person_id, c.provider_id, c.operator_id, c.start_time,
           c.end_time,
           date_diff('second', CAST(CAST(c.start_time AS DATE) AS TIMESTAMP) + INTERVAL 1 DAY,
                     c.end_time) / 86400.0 AS inner_days
    FROM c WHERE c.kind = 'inpatient'
), holder_visits AS (
    -- the holder's visits and purchases at other providers during the window, each
    -- marked far from the institution of the stay or not
    SELECT s.claim_id, s.card_id, s.provider_id, s.operator_id, s.inner_days,
           coalesce(CAST(o.start_time AS DATE) > CAST(s.start_time AS DATE)
               AND o.start_time < s.end_time, false) AS during,
           provider_region(s.provider_id, x.region_code) IS NULL
               OR provider_region(o.provider_id, y.region_code) IS NULL
               OR left(provider_region(s.provider_id, x.region_code), $region_digits)
                  <> left(provider_region(o.provider_id, y.region_code), $region_digits) AS far
    FROM inner_stays s
    JOIN window_claims o ON o.person_id = s.person_id AND o.kind <> 'inpatient'
            AND o.provider_id <> s.provider_id
    LEFT JOIN providers x ON x.provider_id = s.provider_id
    LEFT JOIN providers y ON y.provider_id = o.provider_id
), outsiders AS (
    -- per inpatient stay of a holder with visits or purchases elsewhere: whether the
    -- holder lives outside the institution's county (most of them far from it)
    SELECT claim_id, card_id, provider_id,
           2 * count(*) FILTER (WHERE far) > count(*) AS outside
    FROM holder_visits GROUP BY claim_id, card_id, provider_id
), provider_inpatients AS (
    SELECT provider_id, count(DISTINCT card_id) AS placed_inpatients
    FROM outsiders GROUP BY provider_id
), outpatient_pairs AS (
    -- each holder's visits and purchases at an institution of the range with stays
    SELECT c.person_id, c.provider_id, count(*) AS visits,
           any_value(left(provider_region(c.provider_id, x.region_code), $region_digits))
               AS county
    FROM c LEFT JOIN providers x ON x.provider_id = c.provider_id
    WHERE c.kind <> 'inpatient'
      AND c.provider_id IN (SELECT provider_id FROM inner_stays)
    GROUP BY c.person_id, c.provider_id
), holder_counties AS (
    -- per outpatient: their visits and purchases (no stays) in the whole window per
    -- county of the provider (NULL where unknown, which is far from everywhere)
    SELECT o.person_id, left(provider_region(o.provider_id, y.region_code), $region_digits)
               AS county, count(*) AS claims
    FROM claims o LEFT JOIN providers y ON y.provider_id = o.provider_id
    WHERE o.kind <> 'inpatient'
      AND ($since IS NULL OR o.start_time >= $since) AND ($until IS NULL OR o.start_time <= $until)
      AND o.person_id IN (SELECT person_id FROM outpatient_pairs)
    GROUP BY ALL
), holder_totals AS (
    SELECT person_id, sum(claims) AS claims FROM holder_counties GROUP BY person_id
), outpatients AS (
    -- an outpatient lives outside when most of their visits and purchases at other
    -- providers are far (outside the county: all of them that are not in it)
    SELECT o.provider_id, count(*) AS placed_outpatients,
           count(*) FILTER (WHERE 2 * (t.claims - CASE WHEN o.county IS NULL THEN o.visits
                                                       ELSE coalesce(h.claims, 0) END)
                                  > t.claims - o.visits) AS outside_outpatients
    FROM outpatient_pairs o
    JOIN holder_totals t ON t.person_id = o.person_id
    LEFT JOIN holder_counties h ON h.person_id = o.person_id AND h.county = o.county
    WHERE t.claims > o.visits
    GROUP BY o.provider_id
), holder_far AS (
    -- per stay of a holder who lives far away (most of their visits and purchases are
    -- far from the institution): those far away inside the stay and in the whole window
    SELECT claim_id, provider_id, operator_id, inner_days,
           count(*) FILTER (WHERE far AND during) AS inside,
           count(*) FILTER (WHERE far) AS total
    FROM holder_visits WHERE inner_days > 0
    GROUP BY claim_id, provider_id, operator_id, inner_days
    HAVING 2 * count(*) FILTER (WHERE far) > count(*)
), holders AS (
    -- sex and birth date from the persons table, else read from the resident ID number
    -- at load (person_id_facts); deaths only the persons table knows
    SELECT coalesce(p.person_id, f.person_id) AS person_id,
           coalesce(nullif(p.sex, ''), f.sex) AS sex,
           coalesce(p.birth_date, f.birth_date) AS birth_date
    FROM persons p FULL JOIN person_id_facts f ON f.person_id = p.person_id
), stays AS (
    SELECT person_id, provider_id, start_time, end_time FROM window_claims
    WHERE kind = 'inpatient' AND end_time IS NOT NULL
), overlap_volume AS (
    -- per desk: how long its patients lay in hospital elsewhere (the span inside which
    -- an admission here would be flagged overlap)
    SELECT c.provider_id, c.operator_id,
           CAST(sum(greatest(date_diff('second', s.start_time, s.end_time) - 172800, 0))
                AS BIGINT) AS overlap_seconds
    FROM c JOIN stays s ON s.person_id = c.person_id AND s.provider_id <> c.provider_id
    WHERE c.kind = 'inpatient'
    GROUP BY c.provider_id, c.operator_id
), silent_stays AS (
    -- per inpatient stay of a holder with other claims in the window (every claim but
    -- the stays at this provider): how many, the share of the window up to the last
    -- one, and the share up to the admission
    SELECT s.claim_id, s.provider_id, s.operator_id, count(*) AS n,
           (date_diff('day', t.window_start, max(CAST(o.start_time AS DATE))) + 1.0)
               / t.window_days AS last_share,
           greatest(date_diff('day', t.window_start, CAST(s.start_time AS DATE)), 0)
               / t.window_days AS admitted_share,
           max(CAST(o.start_time AS DATE)) < CAST(s.start_time AS DATE) AS after_last
    FROM inner_stays s CROSS JOIN _conflict_totals t
    JOIN window_claims o ON o.person_id = s.person_id
         AND NOT (o.kind = 'inpatient' AND o.provider_id = s.provider_id)
    WHERE NOT t.deaths_known
    GROUP BY s.claim_id, s.provider_id, s.operator_id, t.window_start, t.window_days,
             s.start_time
    HAVING count(*) >= 3
), silent_volume AS (
    SELECT provider_id, operator_id,
           round(sum(least(power(admitted_share, n), 0.01)), 6) AS silent_expected
    FROM silent_stays GROUP BY provider_id, operator_id
), provider_silent AS (
    SELECT provider_id, round(sum(silent_expected), 6) AS silent_expected
    FROM silent_volume GROUP BY provider_id
), provider_overlap AS (
    SELECT provider_id, CAST(sum(overlap_seconds) AS BIGINT) AS overlap_seconds
    FROM overlap_volume GROUP BY provider_id
), flagged AS (
    SELECT c.claim_id, 'after_death' AS reason
    FROM c JOIN persons p ON p.person_id = c.person_id
    WHERE p.death_date IS NOT NULL AND CAST(c.start_time AS DATE) > p.death_date
    UNION
    SELECT c.claim_id, 'overlap' AS reason
    FROM c JOIN stays s ON s.person_id = c.person_id AND s.provider_id <> c.provider_id
    WHERE c.kind = 'inpatient'
      AND c.start_time > s.start_time + INTERVAL 1 DAY
      AND c.start_time < s.end_time - INTERVAL 1 DAY
    UNION
    SELECT claim_id, 'elsewhere' AS reason FROM holder_far WHERE inside > 0
    UNION
    SELECT claim_id, 'outsider' AS reason FROM outsiders WHERE outside
    UNION
    SELECT claim_id, 'silent' AS reason FROM silent_stays
    WHERE after_last AND power(last_share, n) < 0.01
    UNION
    SELECT c.claim_id, 'sex' AS reason
    FROM c JOIN holders p ON p.person_id = c.person_id
    WHERE (p.sex IN ('M', 'male', '男')
           AND regexp_matches(c.diagnosis_code, '^(O|C5[345]|N[89])'))
       OR (p.sex IN ('F', 'female', '女')
           AND regexp_matches(c.diagnosis_code, '^(N4[012]|C61)'))
    UNION
    SELECT c.claim_id, 'age' AS reason
    FROM c JOIN holders p ON p.person_id = c.person_id
    WHERE (regexp_matches(c.diagnosis_code, '^O')
           AND date_diff('year', p.birth_date, CAST(c.start_time AS DATE)) NOT BETWEEN 12 AND 55)
       OR (regexp_matches(c.diagnosis_code, '^P')
           AND date_diff('year', p.birth_date, CAST(c.start_time AS DATE)) > 1)
)
SELECT c.claim_id, c.card_id, c.person_id, c.provider_id, coalesce(v.kind, '') AS provider_kind,
       c.operator_id, c.doctor_id, f.reason, vol.operator_cards,
       t.all_cards,
       coalesce(ov.overlap_seconds, 0) AS overlap_seconds,
       -- (DuckDB's least skips a NULL: the stays holder_far leaves out are tested first)
       CASE WHEN f.reason = 'outsider' AND hf.claim_id IS NOT NULL
            THEN round(least((hf.total - hf.inside + 1) * hf.inner_days / t.window_days, 1.0), 6)
            ELSE 0.0 END AS far_chance,
       coalesce(po.overlap_seconds, 0) AS provider_overlap_seconds,
       coalesce(sv.silent_expected, 0.0) AS silent_expected,
       coalesce(ps.silent_expected, 0.0) AS provider_silent_expected,
       coalesce(pi.placed_inpatients, 0) AS placed_inpatients,
       coalesce(op.placed_outpatients, 0) AS placed_outpatients,
       coalesce(op.outside_outpatients, 0) AS outside_outpatients,
       date_diff('day', DATE '1970-01-01', CAST(c.start_time AS DATE)) AS admitted_day,
       t.window_days
FROM flagged f
CROSS JOIN _conflict_totals t
JOIN c ON c.claim_id = f.claim_id
JOIN volume vol ON vol.provider_id = c.provider_id AND vol.operator_id = c.operator_id
LEFT JOIN overlap_volume ov ON ov.provider_id = c.provider_id AND ov.operator_id = c.operator_id
LEFT JOIN holder_far hf ON hf.claim_id = c.claim_id
LEFT JOIN provider_overlap po ON po.provider_id = c.provider_id
LEFT JOIN silent_volume sv ON sv.provider_id = c.provider_id AND sv.operator_id = c.operator_id
LEFT JOIN provider_silent ps ON ps.provider_id = c.provider_id
LEFT JOIN provider_inpatients pi ON pi.provider_id = c.provider_id
LEFT JOIN outpatients op ON op.provider_id = c.provider_id
LEFT JOIN providers v ON v.provider_id = c.provider_id
ORDER BY c.provider_id, c.operator_id, c.card_id, c.claim_id, f.reason
