// Provider code -> name for every provider the store knows a name of: the workbench
// searches its case queue by provider name (names of designated providers are public).
MATCH (p:Provider)
WHERE p.name IS NOT NULL
RETURN p.provider_id AS provider_id, p.name AS name
ORDER BY provider_id
