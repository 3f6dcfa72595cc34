-- Macros the projections share, defined on every connection of the embedded store (one
-- definition per rule: the Cypher twins share theirs in the same words, see
-- cypher/card_bursts.cypher).
--
-- pharmacy_bursts(since, until, gap_minutes, per_day, first_provider, last_provider): every
-- pharmacy swipe in the window (at the pharmacies from first_provider to last_provider in
-- provider_id order, both included; all of them when first_provider is NULL: a venue is one
-- pharmacy's, so a read per venue can be cut into such ranges) with its venue and burst. The venue is the (pharmacy, operator) counter; without an
-- operator the pharmacy itself (operator_id ''). A burst opens when the venue's previous
-- swipe is more than gap_minutes earlier; with per_day, venues are cut per calendar day
-- (bursts numbered within the day). The RANGE frame gives swipes in the same second the
-- same burst whatever their order, so numbering is deterministic without a tie-breaker.
-- The windows partition by an integer key of the venue (venue: 1, 2, ... in
-- (provider_id, operator_id) order), not by its two texts: sorting millions of swipes by
-- numbers is what keeps the two window passes cheap, and the statements that read the
-- macro group and join on it too.
-- Columns: claim_id, provider_id, operator_id, venue (BIGINT), card_id (person_id when the
-- claim has no card), person_id, start_time, day (VARCHAR YYYY-MM-DD), burst (BIGINT, 1,
-- 2, ...).
CREATE OR REPLACE TEMP MACRO pharmacy_bursts(since, until, gap_minutes, per_day, first_provider,
                                              last_provider) AS TABLE
WITH swipes AS (
    SELECT claim_id, provider_id, coalesce(operator_id, '') AS operator_id,
           coalesce(card_id, person_id) AS card_id, person_id, start_time
    FROM claims
    WHERE kind = 'pharmacy'
      AND (since IS NULL OR start_time >= since)
      AND (until IS NULL OR start_time <= until)
      AND (first_provider IS NULL OR provider_id BETWEEN first_provider AND last_provider)
), venues AS (
    SELECT provider_id, operator_id, row_number() OVER (ORDER BY provider_id, operator_id)
           AS venue
    FROM (SELECT DISTINCT provider_id, operator_id FROM swipes)
), marked AS (
    SELECT s.*, v.venue,
           CASE WHEN per_day THEN CAST(s.start_time AS DATE) END AS part,
           CASE WHEN s.start_time - lag(s.start_time) OVER venue <= to_minutes(gap_minutes)
                THEN 0 ELSE 1 END AS opens
    FROM swipes s JOIN venues v USING (provider_id, operator_id)
    WINDOW venue AS (PARTITION BY v.venue, part ORDER BY s.start_time)
)
SELECT claim_id, provider_id, operator_id, venue, card_id, person_id, start_time,
       strftime(start_time, '%Y-%m-%d') AS day,
       sum(opens) OVER (PARTITION BY venue, part ORDER BY start_time) AS burst
FROM marked;

-- provider_region(provider_id, region_code): a provider's region, from the providers table
-- or, where that is missing, from the provider's national code (H or P, the 6-digit
-- county region, a sequence: 国家医疗保障信息业务编码标准); NULL when neither says.
CREATE OR REPLACE TEMP MACRO provider_region(provider_id, region_code) AS
    coalesce(nullif(region_code, ''),
             CASE WHEN regexp_full_match(provider_id, '[HP][0-9]{6}.*')
                  THEN substr(provider_id, 2, 6) END);

-- regions_differ(a, b): two region codes differ on the digits both know (a county from a
-- national code against a township is compared by county).
CREATE OR REPLACE TEMP MACRO regions_differ(a, b) AS
    left(a, length(b)) <> left(b, length(a));

-- sent_by_visit(visit_time, purchase_time): the kickback attribution window. A visit sends
-- the patient to a purchase on the same or the next calendar day, at or after the visit.
CREATE OR REPLACE TEMP MACRO sent_by_visit(visit_time, purchase_time) AS
    visit_time <= purchase_time
    AND CAST(visit_time AS DATE) >= CAST(purchase_time AS DATE) - 1;

-- attributed_purchases(since, until, pharmacies): every pharmacy purchase in the window
-- (at the listed pharmacies; all when pharmacies is NULL) with the doctor who sent the
-- patient. A purchase is the doctor's it names (an external prescription, named TRUE,
-- institution: the doctor's in doctors, else where the doctor treats most, '' when
-- neither is known) or, when it names none (an ordinary purchase), the doctor of the
-- person's latest outpatient visit that sent_by_visit (doctor_id '' where that visit
-- names none; institution: the visit's). Purchases neither names nor a visit attributes
-- are left out. value: the drug lines' amount (claim_items), for a claim without item
-- lines its total (by_items FALSE).
-- Columns: claim_id, person_id, card_id (person_id when missing), pharmacy_id,
-- start_time, total_amount, doctor_id, institution_id, named (BOOLEAN), visit_id and
-- visit_card_id (the attributing visit; NULL for a prescription), by_items, value.
CREATE OR REPLACE TEMP MACRO attributed_purchases(since, until, pharmacies) AS TABLE
WITH purchases AS (
    SELECT c.claim_id, c.person_id, coalesce(c.card_id, c.person_id) AS card_id,
           c.provider_id AS pharmacy_id, c.doctor_id, c.start_time, c.total_amount,
           i.lines IS NOT NULL AS by_items,
           CASE WHEN i.lines IS NULL THEN c.total_amount ELSE coalesce(i.drug_amount, 0) END
               AS value
    FROM claims c
    LEFT JOIN (
        SELECT claim_id, count(*) AS lines, sum(amount) FILTER (WHERE item_kind = 'drug')
               AS drug_amount
        FROM claim_items GROUP BY claim_id
    ) i USING (claim_id)
    WHERE c.kind = 'pharmacy'
      AND (pharmacies IS NULL OR list_contains(pharmacies, c.provider_id))
      AND (since IS NULL OR c.start_time >= since)
      AND (until IS NULL OR c.start_time <= until)
), home AS (
    SELECT doctor_id, first(provider_id ORDER BY n DESC, provider_id) AS provider_id
    FROM (
        SELECT doctor_id, provider_id, count(*) AS n
        FROM claims WHERE kind <> 'pharmacy' AND doctor_id IS NOT NULL
        GROUP BY doctor_id, provider_id
    ) GROUP BY doctor_id
)
SELECT p.claim_id, p.person_id, p.card_id, p.pharmacy_id, p.start_time, p.total_amount,
       p.doctor_id, coalesce(d.provider_id, h.provider_id, '') AS institution_id,
       TRUE AS named, NULL::VARCHAR AS visit_id, NULL::VARCHAR AS visit_card_id,
       p.by_items, p.value
FROM purchases p
LEFT JOIN doctors d ON d.doctor_id = p.doctor_id
LEFT JOIN home h ON h.doctor_id = p.doctor_id
WHERE p.doctor_id IS NOT NULL
UNION ALL
SELECT * FROM (
    SELECT p.claim_id, p.person_id, p.card_id, p.pharmacy_id, p.start_time, p.total_amount,
           coalesce(v.doctor_id, '') AS doctor_id, v.provider_id AS institution_id,
           FALSE AS named, v.claim_id AS visit_id,
           coalesce(v.card_id, v.person_id) AS visit_card_id, p.by_items, p.value
    FROM purchases p
    JOIN claims v ON v.person_id = p.person_id AND v.kind = 'outpatient'
        AND sent_by_visit(v.start_time, p.start_time)
    WHERE p.doctor_id IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY p.claim_id ORDER BY v.start_time DESC, v.claim_id DESC) = 1
);
