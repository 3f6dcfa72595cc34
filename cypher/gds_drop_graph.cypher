// Release the in-memory graph (no error when it is already gone).
CALL gds.graph.drop($graph, false) YIELD graphName
RETURN graphName
