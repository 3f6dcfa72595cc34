-- Reversals (冲销) already recorded, among the $hashes (row_hash) of a file being loaded:
-- the loader checks only the new ones against what is left of their claim.
-- Columns: row_hash
SELECT row_hash FROM reversals WHERE row_hash IN (SELECT unnest(CAST($hashes AS VARCHAR[])))
