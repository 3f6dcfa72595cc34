// Twin of graphscan/sql/card_burst_sizes.sql: same parameters ($since, $until,
// $gap_minutes, $stranger_bursts), columns and order. Bursts as in card_bursts.cypher (pharmacy_bursts of
// graphscan/sql/macros.sql).
MATCH (c:Claim {kind: 'pharmacy'})
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH DISTINCT c.provider_id AS provider_id, coalesce(c.operator_id, '') AS operator_id
WITH provider_id, operator_id, COLLECT {
  MATCH (c:Claim {provider_id: provider_id})
  WHERE coalesce(c.operator_id, '') = operator_id AND c.kind = 'pharmacy'
    AND ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
  RETURN c ORDER BY c.start_time, c.claim_id
} AS swipes
WITH provider_id, operator_id, swipes, [i IN range(0, size(swipes) - 1) WHERE i = 0 OR NOT (
    duration.inSeconds(swipes[i - 1].start_time, swipes[i].start_time).seconds
      < 60 * $gap_minutes
    OR (duration.inSeconds(swipes[i - 1].start_time, swipes[i].start_time).seconds
          = 60 * $gap_minutes
        AND duration.inSeconds(swipes[i - 1].start_time, swipes[i].start_time)
          .nanosecondsOfSecond = 0))] AS opens
UNWIND range(0, size(opens) - 1) AS k
UNWIND swipes[opens[k]..coalesce(opens[k + 1], size(swipes))] AS c
WITH provider_id, operator_id, k, c, coalesce(c.card_id, c.person_id) AS card_id
WITH provider_id, operator_id, card_id, count(DISTINCT k) AS card_bursts,
  collect(k) AS ks
UNWIND ks AS k
WITH provider_id, operator_id, k, count(DISTINCT card_id) AS size,
  count(DISTINCT CASE WHEN card_bursts <= $stranger_bursts THEN card_id END) AS strangers
RETURN provider_id, operator_id, size, count(*) AS bursts, sum(strangers) AS strangers
ORDER BY provider_id, operator_id, size
