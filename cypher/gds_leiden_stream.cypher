// Leiden on the projected graph, seeded and single-threaded so reruns agree.
CALL gds.leiden.stream($graph, {relationshipWeightProperty: 'weight', randomSeed: $seed,
  gamma: $resolution, concurrency: 1})
YIELD nodeId, communityId
RETURN nodeId AS node, communityId AS community
ORDER BY node
