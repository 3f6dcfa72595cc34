-- Identity misuse: claims where the card's holder cannot have been the patient.
--   after_death  the claim starts after the holder's death_date
--   overlap      an admission starting strictly inside another inpatient stay of the same
--                card at another provider (admitted before, discharged after, by more than
--                a day): nobody lies in two hospitals at once (two stays at one provider are
--                double billing by that provider, not a borrowed card). Visits and
--                purchases during a stay are left out, relatives run such errands.
--   sex          a sex-specific diagnosis (pregnancy O*, prostate N40-N42/C61 for women;
--                cervix/uterus C53-C55, N80-N98 for men) that contradicts the holder
--   age          pregnancy (O*) outside ages 12-55, perinatal (P*) over age 1
-- Parameters: $since, $until (TIMESTAMP or NULL)
-- Output columns:
--   claim_id, card_id (person_id when missing), person_id, provider_id,
--   provider_kind ('' when unknown), operator_id ('' when unknown), doctor_id, reason (one
--   of the above; a claim flagged for several reasons appears once per reason)
--   operator_cards  BIGINT, distinct cards the operator served at the provider in the window
--   all_cards       BIGINT, sum of operator_cards over all (provider, operator) pairs
--   operator_stays  BIGINT, distinct cards of the inpatient stays the operator settled there
--                   (the volume in which an overlapping stay can happen at all)
--   all_stays       BIGINT, sum of operator_stays over all (provider, operator) pairs
-- Order: provider_id, operator_id, card_id, claim_id, reason
WITH c AS (
    SELECT claim_id, kind, coalesce(card_id, person_id) AS card_id, person_id, provider_id,
           coalesce(operator_id, '') AS operator_id, doctor_id, start_time, end_time,
           diagnosis_code
    FROM claims
    WHERE ($since IS NULL OR start_time >= $since) AND ($until IS NULL OR start_time <= $until)
), volume AS (
    SELECT provider_id, operator_id, count(DISTINCT card_id) AS operator_cards
    FROM c GROUP BY provider_id, operator_id
), stay_volume AS (
    SELECT provider_id, operator_id, count(DISTINCT card_id) AS operator_stays
    FROM c WHERE kind = 'inpatient' GROUP BY provider_id, operator_id
), stays AS (
    SELECT claim_id, card_id, provider_id, start_time, end_time FROM c
    WHERE kind = 'inpatient' AND end_time IS NOT NULL
), flagged AS (
    SELECT c.claim_id, 'after_death' AS reason
    FROM c JOIN persons p ON p.person_id = c.person_id
    WHERE p.death_date IS NOT NULL AND CAST(c.start_time AS DATE) > p.death_date
    UNION
    SELECT c.claim_id, 'overlap' AS reason
    FROM c JOIN stays s ON s.card_id = c.card_id AND s.provider_id <> c.provider_id
    WHERE c.kind = 'inpatient'
      AND c.start_time > s.start_time + INTERVAL 1 DAY
      AND c.start_time < s.end_time - INTERVAL 1 DAY
    UNION
    SELECT c.claim_id, 'sex' AS reason
    FROM c JOIN persons p ON p.person_id = c.person_id
    WHERE (p.sex IN ('M', 'male', '男')
           AND regexp_matches(c.diagnosis_code, '^(O|C5[345]|N[89])'))
       OR (p.sex IN ('F', 'female', '女')
           AND regexp_matches(c.diagnosis_code, '^(N4[012]|C61)'))
    UNION
    SELECT c.claim_id, 'age' AS reason
    FROM c JOIN persons p ON p.person_id = c.person_id
    WHERE (regexp_matches(c.diagnosis_code, '^O')
           AND date_diff('year', p.birth_date, CAST(c.start_time AS DATE)) NOT BETWEEN 12 AND 55)
       OR (regexp_matches(c.diagnosis_code, '^P')
           AND date_diff('year', p.birth_date, CAST(c.start_time AS DATE)) > 1)
)
SELECT c.claim_id, c.card_id, c.person_id, c.provider_id, coalesce(v.kind, '') AS provider_kind,
       c.operator_id, c.doctor_id, f.reason, vol.operator_cards,
       (SELECT sum(operator_cards) FROM volume) AS all_cards,
       coalesce(sv.operator_stays, 0) AS operator_stays,
       (SELECT coalesce(sum(operator_stays), 0) FROM stay_volume) AS all_stays
FROM flagged f
JOIN c ON c.claim_id = f.claim_id
JOIN volume vol ON vol.provider_id = c.provider_id AND vol.operator_id = c.operator_id
LEFT JOIN stay_volume sv ON sv.provider_id = c.provider_id AND sv.operator_id = c.operator_id
LEFT JOIN providers v ON v.provider_id = c.provider_id
ORDER BY c.provider_id, c.operator_id, c.card_id, c.claim_id, f.reason
