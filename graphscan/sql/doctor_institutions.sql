-- Evidence: the institution each given doctor works at (doctors.provider_id) and its name,
-- so a kickback case names the prescribing institution, which its claims (filled at the
-- pharmacy) do not.
-- Parameters: $doctors (VARCHAR list)
-- Output columns: doctor_id, institution_id, institution_name (VARCHAR; name NULL when the
--   providers table does not have it)
-- Order: doctor_id
SELECT d.doctor_id, d.provider_id AS institution_id, pv.name AS institution_name
FROM doctors d
LEFT JOIN providers pv ON pv.provider_id = d.provider_id
WHERE list_contains($doctors, d.doctor_id) AND d.provider_id IS NOT NULL
ORDER BY d.doctor_id
