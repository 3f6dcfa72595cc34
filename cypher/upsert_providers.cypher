// Rows of the providers table: the table's kind decides between :Pharmacy and
// :Institution (a claim-derived guess is replaced). Listed providers are left alone.
UNWIND $rows AS row
MERGE (p:Provider {provider_id: row.provider_id})
WITH p, row WHERE p.listed IS NULL
SET p += row, p.listed = true
REMOVE p:Pharmacy:Institution
SET p:$(CASE row.kind WHEN 'pharmacy' THEN 'Pharmacy' ELSE 'Institution' END)
RETURN count(p) AS written
