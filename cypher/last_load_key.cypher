// Twin of graphscan/sql/last_load_key.sql. The report is JSON text written by json.dumps,
// whose "key" entry comes last: cut it out with string functions (no APOC needed).
MATCH (l:Load)
WITH l, split(l.report, '"key": "') AS parts
WHERE size(parts) > 1
RETURN split(parts[size(parts) - 1], '"')[0] AS key_fingerprint
ORDER BY l.finished_at DESC, l.load_id DESC
LIMIT 1
