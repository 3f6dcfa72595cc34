// One :Load node per load_id (a replayed record changes nothing); report is JSON text.
MERGE (l:Load {load_id: $load_id})
ON CREATE SET l.source_file = $source_file, l.file_sha256 = $file_sha256,
  l.started_at = $started_at, l.finished_at = $finished_at, l.report = $report
