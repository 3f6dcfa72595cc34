// The workbench at $url (workspace $workspace on $host) keeps the case book of this database.
MERGE (h:GraphscanCaseBook {key: 'case_book'})
SET h.url = $url, h.host = $host, h.workspace = $workspace, h.claimed_at = $claimed_at
