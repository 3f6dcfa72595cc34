// Mark the aggregate relationships as behind the claims, before claims or amounts change,
// so the next record_load refreshes them even if this load is cut off and rerun.
MERGE (s:GraphscanState {name: 'aggregates'})
SET s.stale = true
