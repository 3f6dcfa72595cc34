// The last five loads, newest first.
MATCH (l:Load)
RETURN l.load_id AS load_id, l.source_file AS source_file, l.finished_at AS finished_at,
  l.report AS report
ORDER BY l.finished_at DESC LIMIT 5
