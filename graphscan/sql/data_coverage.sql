-- What the data holds: for every optional column a detector may rely on, how many rows
-- have it, per claim kind for claims (a counter operator is recorded for pharmacy swipes
-- and not for hospital settlements, a doctor on hospital claims and external
-- prescriptions). Detectors fall back and say which signal they lost from this.
-- Parameters: $since, $until (TIMESTAMP or NULL; claims only)
-- Output columns:
--   source   VARCHAR, 'claims', 'claim_items', 'persons', 'providers' or 'doctors'
--            (a table that was not loaded has rows 0)
--   kind     VARCHAR, the claim kind for claims ('' for the other tables)
--   field    VARCHAR, the optional column ('*' for the row count itself)
--   rows     BIGINT, rows of the source (and kind)
--   filled   BIGINT, of them with a non-empty value in the column
-- Order: source, kind, field
WITH c AS (
    SELECT * FROM claims
    WHERE ($since IS NULL OR start_time >= $since) AND ($until IS NULL OR start_time <= $until)
), per_kind AS (
    SELECT kind, count(*) AS n,
           count(nullif(card_id, '')) AS card_id, count(nullif(doctor_id, '')) AS doctor_id,
           count(nullif(operator_id, '')) AS operator_id, count(end_time) AS end_time,
           count(nullif(diagnosis_code, '')) AS diagnosis_code
    FROM c GROUP BY kind
), people AS (
    SELECT count(*) AS n, count(nullif(sex, '')) AS sex, count(birth_date) AS birth_date,
           count(death_date) AS death_date, count(nullif(region_code, '')) AS region_code,
           count(nullif(address_key, '')) AS address_key,
           count(nullif(phone_key, '')) AS phone_key
    FROM persons
), places AS (
    SELECT count(*) AS n, count(nullif(region_code, '')) AS region_code,
           count(nullif(kind, '')) AS kind
    FROM providers
), cells AS (
    SELECT 'claims' AS source, kind, col.field, n AS rows, col.filled
    FROM per_kind, LATERAL (VALUES ('card_id', card_id), ('doctor_id', doctor_id),
        ('operator_id', operator_id), ('end_time', end_time),
        ('diagnosis_code', diagnosis_code)) AS col(field, filled)
    UNION ALL
    SELECT 'persons', '', col.field, n, col.filled
    FROM people, LATERAL (VALUES ('sex', sex), ('birth_date', birth_date),
        ('death_date', death_date), ('region_code', region_code),
        ('address_key', address_key), ('phone_key', phone_key)) AS col(field, filled)
    UNION ALL
    SELECT 'providers', '', col.field, n, col.filled
    FROM places, LATERAL (VALUES ('region_code', region_code), ('kind', kind))
        AS col(field, filled)
    UNION ALL
    SELECT 'claim_items', '', '*', count(*), count(*) FROM claim_items
    UNION ALL
    -- doctors named by claims only have no institution: the table's own rows have one
    SELECT 'doctors', '', 'provider_id', count(*), count(nullif(provider_id, '')) FROM doctors
)
SELECT source, kind, field, rows, filled FROM cells
ORDER BY source, kind, field
