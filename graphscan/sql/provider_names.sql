-- Provider code -> name for every provider the store knows a name of: the workbench
-- searches its case queue by provider name (names of designated providers are public).
SELECT provider_id, name
FROM providers
WHERE name IS NOT NULL
ORDER BY provider_id
