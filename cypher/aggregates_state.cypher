// Whether the aggregate relationships are behind the claims (see aggregates_stale).
OPTIONAL MATCH (s:GraphscanState {name: 'aggregates'})
RETURN coalesce(s.stale, false) AS stale
