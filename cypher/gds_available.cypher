// Whether the Graph Data Science library is installed (Leiden is the procedure we use).
SHOW PROCEDURES YIELD name WHERE name = 'gds.leiden.stream'
RETURN count(*) > 0 AS available
