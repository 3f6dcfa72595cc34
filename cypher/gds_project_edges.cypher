// An undirected weighted in-memory GDS graph from a projection's edge list, nodes given
// as integers 0..n-1 ($edges: list of {s, t, w}). Cypher aggregation projection.
UNWIND $edges AS e
WITH gds.graph.project($graph, e.s, e.t, {relationshipProperties: {weight: e.w}},
  {undirectedRelationshipTypes: ['*']}) AS g
RETURN g.nodeCount AS nodes, g.relationshipCount AS relationships
