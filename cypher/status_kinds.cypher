// Claims per kind and the date range of start_time.
MATCH (c:Claim)
RETURN c.kind AS kind, count(*) AS claims, min(c.start_time) AS first, max(c.start_time) AS last
ORDER BY kind
