// Reversals (冲销) already recorded among $keys (row_hash): a re-load nets nothing twice,
// and only new reversals are checked against what is left of their claim.
UNWIND $keys AS key
MATCH (r:Reversal {row_hash: key})
RETURN r.row_hash AS row_hash
