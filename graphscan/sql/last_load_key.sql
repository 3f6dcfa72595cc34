-- Which key pseudonymised the store's data: the key fingerprint the newest load recorded
-- (the loaders write it into each load's report), so a load with another key is refused
-- even where the workspace never recorded one (a shared server, an older workspace).
-- Parameters: none
-- Output columns: key_fingerprint (VARCHAR; no row when nothing was loaded)
SELECT json_extract_string(report, '$.key') AS key_fingerprint
FROM loads
WHERE json_extract_string(report, '$.key') IS NOT NULL
ORDER BY finished_at DESC, load_id DESC
LIMIT 1
