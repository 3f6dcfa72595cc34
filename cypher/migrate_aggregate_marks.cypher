// A database whose aggregates a cut load left behind before refresh_aggregates covered only
// persons and doctors marked :AggregatesStale: mark them all, so the next refresh is whole.
// Runs once per database (the GraphscanState marker), as part of the schema step.
// Parameters: $migration (marker name)
OPTIONAL MATCH (done:GraphscanState {name: $migration})
WITH done WHERE done IS NULL
MATCH (:GraphscanState {name: 'aggregates', stale: true})
MATCH (n) WHERE n:Person OR n:Doctor
CALL (n) {
  SET n:AggregatesStale
} IN TRANSACTIONS OF 10000 ROWS;
MERGE (:GraphscanState {name: $migration})
