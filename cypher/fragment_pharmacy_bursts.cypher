// Fragment, not a statement: the burst rule for Neo4j, spliced by graphscan.cypher.read_cypher
// where a statement includes it by name (card_bursts, card_burst_sizes, card_roaming), so
// that the rule is written once, as pharmacy_bursts of
// graphscan/sql/macros.sql is for DuckDB. Input rows: kept (whatever the statement carries
// through, null when nothing), provider_id, operator_id (the venue) and swipes (the venue's
// pharmacy claims in (start_time, claim_id) order). A burst opens where the previous swipe
// is more than $gap_minutes earlier (to the nanosecond: swipes in the same second are one
// burst whatever their order). Output rows, one per swipe: kept, provider_id, operator_id,
// burst (INTEGER 1, 2, ... in time order), c (the claim).
WITH kept, provider_id, operator_id, swipes,
  [i IN range(0, size(swipes) - 1) WHERE i = 0 OR NOT (
    duration.inSeconds(swipes[i - 1].start_time, swipes[i].start_time).seconds
      < 60 * $gap_minutes
    OR (duration.inSeconds(swipes[i - 1].start_time, swipes[i].start_time).seconds
          = 60 * $gap_minutes
        AND duration.inSeconds(swipes[i - 1].start_time, swipes[i].start_time)
          .nanosecondsOfSecond = 0))] AS opens
UNWIND range(0, size(opens) - 1) AS k
UNWIND swipes[opens[k]..coalesce(opens[k + 1], size(swipes))] AS c
WITH kept, provider_id, operator_id, k + 1 AS burst, c
