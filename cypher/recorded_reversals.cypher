// Reversals (冲销) already recorded, among the $hashes (row_hash) of a file being loaded:
// the loader checks only the new ones against what is left of their claim.
// Columns: row_hash
UNWIND $hashes AS hash
MATCH (r:Reversal {row_hash: hash})
RETURN r.row_hash AS row_hash
