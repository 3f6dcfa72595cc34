// Where the case book, users and audit log of this database's data are kept: the workbench
// that claimed them (graphscan serve --store), so no other workspace keeps a second book.
MATCH (h:GraphscanCaseBook {key: 'case_book'})
RETURN h.url AS url, h.host AS host, h.workspace AS workspace, h.claimed_at AS claimed_at
