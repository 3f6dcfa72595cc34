// Twin of graphscan/sql/counter_traffic.sql: same parameters ($since, $until,
// $max_burst_cards), columns and order.
MATCH (c:Claim {kind: 'pharmacy'})
WHERE ($since IS NULL OR c.start_time >= $since) AND ($until IS NULL OR c.start_time <= $until)
WITH c.provider_id AS provider_id, coalesce(c.operator_id, '') AS operator_id,
  date(c.start_time) AS day, count(*) AS n
WITH provider_id, operator_id, sum(n) AS swipes, max(n) AS busiest_day,
  sum(n * (CASE WHEN n < $max_burst_cards THEN n ELSE $max_burst_cards END - 1)) AS twice
RETURN provider_id, operator_id, swipes, busiest_day, twice / 2 AS pair_bound
ORDER BY pair_bound DESC, provider_id, operator_id
